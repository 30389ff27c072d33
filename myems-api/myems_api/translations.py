"""Labels of exported reports in the report languages (en, zh_CN, de).

`label(key, language)` translates a label key or a result key; a key it does not know reads as the key
in words ('working_days_subtotals' -> 'Working days subtotals'); an unknown language reads as English.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = 'en'

# key -> (en, zh_CN, de)
_LABELS: dict[str, tuple[str, str, str]] = {
    'summary': ('Summary', '汇总', 'Zusammenfassung'),
    'base_period': ('Base period', '基准期', 'Basiszeitraum'),
    'reporting_period': ('Reporting period', '报告期', 'Berichtszeitraum'),
    'subtotals': ('Subtotal', '小计', 'Zwischensumme'),
    'time': ('Time', '时间', 'Zeit'),
    'value': ('Value', '数值', 'Wert'),
    'item': ('Item', '项目', 'Posten'),
    'period': ('Period', '期间', 'Zeitraum'),
    'report': ('Report', '报表', 'Bericht'),
    'name': ('Name', '名称', 'Name'),
    'id': ('ID', '编号', 'ID'),
    'uuid': ('UUID', 'UUID', 'UUID'),
    'area': ('Area', '面积', 'Fläche'),
    'number_of_occupants': ('Number of occupants', '人数', 'Anzahl der Personen'),
    'cost_center_id': ('Cost center ID', '成本中心编号', 'Kostenstellen-ID'),
    'energy_category_id': ('Energy category ID', '能源分类编号', 'Energieart-ID'),
    'energy_category_name': ('Energy category', '能源分类', 'Energieart'),
    'unit_of_measure': ('Unit', '单位', 'Einheit'),
    'kgce': ('kgce per unit', '每单位千克标准煤', 'kgce je Einheit'),
    'kgco2e': ('kgCO2e per unit', '每单位千克二氧化碳当量', 'kgCO2e je Einheit'),
    'total': ('Total', '总计', 'Summe'),
    'total_in_category': ('Total', '总计', 'Summe'),
    'total_in_kgce': ('Total in kgce', '总计（千克标准煤）', 'Summe in kgce'),
    'total_in_kgco2e': ('Total in kgCO2e', '总计（千克二氧化碳当量）', 'Summe in kgCO2e'),
    'total_per_unit_area': ('Total per unit area', '单位面积总计', 'Summe je Flächeneinheit'),
    'total_per_capita': ('Total per capita', '人均总计', 'Summe pro Kopf'),
    'total_in_kgce_per_unit_area': ('kgce per unit area', '单位面积千克标准煤', 'kgce je Flächeneinheit'),
    'total_in_kgce_per_capita': ('kgce per capita', '人均千克标准煤', 'kgce pro Kopf'),
    'total_in_kgco2e_per_unit_area': ('kgCO2e per unit area', '单位面积千克二氧化碳当量', 'kgCO2e je Flächeneinheit'),
    'total_in_kgco2e_per_capita': ('kgCO2e per capita', '人均千克二氧化碳当量', 'kgCO2e pro Kopf'),
    'increment_rate': ('Increment rate', '环比增长率', 'Veränderungsrate'),
    'total_increment_rate': ('Increment rate', '环比增长率', 'Veränderungsrate'),
    'increment_rate_in_kgce': ('Increment rate (kgce)', '环比增长率（千克标准煤）', 'Veränderungsrate (kgce)'),
    'increment_rate_in_kgco2e': (
        'Increment rate (kgCO2e)',
        '环比增长率（千克二氧化碳当量）',
        'Veränderungsrate (kgCO2e)',
    ),
    'increment_rates': ('Increment rate', '环比增长率', 'Veränderungsrate'),
    'working_days_subtotals': ('Working days', '工作日', 'Arbeitstage'),
    'non_working_days_subtotals': ('Non-working days', '非工作日', 'Arbeitsfreie Tage'),
    'subtotals_in_kgce': ('Subtotal in kgce', '小计（千克标准煤）', 'Zwischensumme in kgce'),
    'subtotals_in_kgco2e': ('Subtotal in kgCO2e', '小计（千克二氧化碳当量）', 'Zwischensumme in kgCO2e'),
    'subtotals_per_unit_area': ('Per unit area', '单位面积值', 'Je Flächeneinheit'),
    'subtotals_per_capita': ('Per capita', '人均值', 'Pro Kopf'),
    'energycategory': ('Energy category report', '能源分类报表', 'Bericht nach Energieart'),
    'energy': ('Energy report', '能耗报表', 'Energiebericht'),
    'cost': ('Cost report', '成本报表', 'Kostenbericht'),
    'carbon': ('Carbon report', '碳排放报表', 'CO2-Bericht'),
    'income': ('Income report', '收入报表', 'Ertragsbericht'),
    'spaceproduction': ('Production report', '产量报表', 'Produktionsbericht'),
    'energyitem': ('Energy item report', '能耗分项报表', 'Bericht nach Energieposten'),
    'output': ('Output report', '产出报表', 'Ausgabebericht'),
    'load': ('Load report', '负荷报表', 'Lastbericht'),
    'statistics': ('Statistics report', '统计报表', 'Statistikbericht'),
    'saving': ('Saving report', '节能报表', 'Einsparungsbericht'),
    'plan': ('Plan report', '计划报表', 'Planbericht'),
    'prediction': ('Prediction report', '预测报表', 'Prognosebericht'),
    'values_actual': ('Actual', '实际值', 'Ist'),
    'values_baseline': ('Baseline', '基线值', 'Basislinie'),
    'values_plan': ('Plan', '计划值', 'Plan'),
    'values_prediction': ('Prediction', '预测值', 'Prognose'),
    'values_saving': ('Saving', '节约量', 'Einsparung'),
    'sub_averages': ('Average load', '平均负荷', 'Mittlere Last'),
    'sub_maximums': ('Maximum load', '最大负荷', 'Höchstlast'),
    'averages': ('Average', '平均值', 'Mittelwert'),
    'maximums': ('Maximum', '最大值', 'Höchstwert'),
    'minimums': ('Minimum', '最小值', 'Mindestwert'),
    'means': ('Mean', '平均值', 'Mittelwert'),
    'medians': ('Median', '中位数', 'Median'),
    'stdevs': ('Standard deviation', '标准差', 'Standardabweichung'),
    'variances': ('Variance', '方差', 'Varianz'),
    'factors': ('Load factor', '负荷系数', 'Lastfaktor'),
}
_COLUMN = {'en': 0, 'zh_CN': 1, 'de': 2}


def label(key: str, language: str) -> str:
    """The label of `key` in `language` (English for an unknown language, the key in words for an unknown key)."""
    found = _LABELS.get(key)
    if found is None:
        return key.replace('_', ' ').strip().capitalize() or key
    return found[_COLUMN.get(language, 0)]
