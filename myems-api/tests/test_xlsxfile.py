"""The xlsx writer: every part well-formed and declared, cells and styles read back by openpyxl, charts
that point at their sheet's cells, and names and text that Excel would refuse made safe."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from xml.etree import ElementTree

import openpyxl
import pytest

from myems_api.xlsxfile import Chart, Sheet, column_letter, sheet_names, workbook

CHART_NS = '{http://schemas.openxmlformats.org/drawingml/2006/chart}'
TYPES_NS = '{http://schemas.openxmlformats.org/package/2006/content-types}'


def sample() -> bytes:
    data = Sheet(
        "Bob's data",
        [['Title & <more>'], [], ['Time', 'Power (kW)', 'Water (m3)']],
        title_rows={1},
        widths={1: 22.5},
    )
    data.rows += [[f'2026-03-{d:02}', d * 1.5, Decimal('0.1') * d if d != 2 else None] for d in range(1, 31)]
    data.rows.append(['Subtotal', 697.5, Decimal('46.4')])
    data.charts.append(Chart('line', 'Power', 'Time', 3, 4, 33, 2, 3, (4, 2)))
    bars = Sheet('Other', [['a', 'b'], ['x', 1], ['y', 2]], charts=[Chart('bar', 'B', 'T', 1, 2, 3, 2, 2, (3, 0))])
    return workbook([Sheet('Summary', [['Name', '  padded  '], ['Total', 10**15], ['Ratio', 1e-7]]), data, bars])


def test_column_letters() -> None:
    assert [column_letter(n) for n in (1, 2, 26, 27, 52, 53, 702, 703, 16384)] == [
        'A',
        'B',
        'Z',
        'AA',
        'AZ',
        'BA',
        'ZZ',
        'AAA',
        'XFD',
    ]


def test_sheet_names_are_valid_and_distinct() -> None:
    names = sheet_names(['Summary', 'summary', 'a/b:c?', "'quoted'", '', 'x' * 40, 'x' * 40])
    assert names[:5] == ['Summary', 'summary (2)', 'a_b_c_', 'quoted', 'Sheet']
    assert names[5] == 'x' * 31 and names[6] == 'x' * 27 + ' (2)'
    assert all(len(n) <= 31 for n in names)
    assert sheet_names(['a' * 30 + "'b"]) == ['a' * 30]  # cut at 31, no apostrophe left at its end


def test_every_part_is_well_formed_and_declared() -> None:
    with zipfile.ZipFile(io.BytesIO(sample())) as archive:
        names = archive.namelist()
        parts = {name: ElementTree.fromstring(archive.read(name)) for name in names}  # raises if malformed
    declared = {o.get('PartName') for o in parts['[Content_Types].xml'].iter(f'{TYPES_NS}Override')}
    xml_parts = {f'/{n}' for n in names if n.endswith('.xml') and n != '[Content_Types].xml'}
    assert declared == xml_parts
    assert sorted(n for n in names if 'charts/' in n) == ['xl/charts/chart1.xml', 'xl/charts/chart2.xml']


def test_openpyxl_reads_back_cells_styles_and_charts() -> None:
    book = openpyxl.load_workbook(io.BytesIO(sample()))
    assert book.sheetnames == ['Summary', "Bob's data", 'Other']
    summary = book['Summary']
    assert [[c.value for c in row] for row in summary.iter_rows()] == [
        ['Name', '  padded  '],
        ['Total', 10**15],
        ['Ratio', 1e-7],
    ]
    data = book["Bob's data"]
    assert data['A1'].value == 'Title & <more>' and data['A1'].font.b and data['A1'].font.sz == 14
    assert not data['A3'].font.b
    assert data['B4'].value == 1.5 and data['C4'].value == pytest.approx(0.1) and data['C5'].value is None
    assert data['A34'].value == 'Subtotal' and data['C34'].value == pytest.approx(46.4)
    assert data.column_dimensions['A'].width == 22.5
    assert len(data._charts) == 1 and len(book['Other']._charts) == 1


def test_charts_point_at_their_sheet() -> None:
    with zipfile.ZipFile(io.BytesIO(sample())) as archive:
        line = ElementTree.fromstring(archive.read('xl/charts/chart1.xml'))
        bar = ElementTree.fromstring(archive.read('xl/charts/chart2.xml'))
    assert line.find(f'.//{CHART_NS}lineChart') is not None and line.find(f'.//{CHART_NS}barChart') is None
    formulas = [f.text for f in line.iter(f'{CHART_NS}f')]
    assert formulas == [
        "'Bob''s data'!$B$3",
        "'Bob''s data'!$A$4:$A$33",
        "'Bob''s data'!$B$4:$B$33",
        "'Bob''s data'!$C$3",
        "'Bob''s data'!$A$4:$A$33",
        "'Bob''s data'!$C$4:$C$33",
    ]
    assert [f.text for f in bar.iter(f'{CHART_NS}f')] == ["'Other'!$B$1", "'Other'!$A$2:$A$3", "'Other'!$B$2:$B$3"]
    assert bar.find(f'.//{CHART_NS}barChart') is not None


def test_text_excel_cannot_hold_is_dropped_and_non_finite_numbers_left_empty() -> None:
    content = workbook([Sheet('S', [['bell\x07 and tab\t', float('nan'), float('inf'), 2]])])
    row = next(openpyxl.load_workbook(io.BytesIO(content))['S'].iter_rows(values_only=True))
    assert row == ('bell and tab\t', None, None, 2)


def test_equal_sheets_give_equal_files() -> None:
    assert sample() == sample()


def test_a_workbook_needs_a_sheet() -> None:
    with pytest.raises(ValueError, match='at least one sheet'):
        workbook([])
