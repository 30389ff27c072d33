"""GET /reports/powerquality: power-quality statistics of a meter's analog points over a period.

The readings are the meter trend's (`reporting_period`: every point's raw readings, quick mode: energy points
only); `analysis` is worked out from its analog points' good readings (bad-flagged ones left out), a point's
kind told by its units: V voltage, A current, Hz frequency, and a name holding 'THD' (harmonic distortion,
in %). As in MyEMS:

* every such point: count, min, max, mean, population standard deviation and the 5th and 95th percentiles
  (linear between the closest ranks);
* a voltage point: its deviation from the nominal voltage in % (`nominalvoltage`, default 220 V), the share
  of readings within +-7 % (`compliance_pct`), the worst deviation and when, the mean deviation and the 95th
  percentile of the absolute deviation;
* a frequency point: the absolute deviation from `nominalfrequency` (default 50 Hz), the share within
  0.2 Hz, the readings beyond 0.5 Hz (`severe_exceed_count`), the worst and when, mean and 95th percentile;
* the first three voltage points, and the first three current points, as three phases: at each time all
  three have a reading, the unbalance (largest distance from the mean of the phases over that mean, in %)
  against a limit of 2 % (voltage) or 10 % (current), its worst, mean and 95th percentile.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

import falcon

from myems_api.errors import bad_request
from myems_api.reportmeters import MeterTrend

log = logging.getLogger(__name__)

VOLTAGE_LIMIT_PCT = 7.0  # GB/T 12325
VOLTAGE_UNBALANCE_LIMIT_PCT = 2.0  # GB/T 15543
CURRENT_UNBALANCE_LIMIT_PCT = 10.0
FREQUENCY_LIMIT_HZ = 0.2  # GB/T 15945
FREQUENCY_SEVERE_HZ = 0.5
NOMINAL = {'nominalvoltage': 220.0, 'nominalfrequency': 50.0}
Series = list[tuple[str, float]]  # (local time, value)


def nominal(req: falcon.Request, name: str) -> float:
    raw = (req.get_param(name) or '').strip()
    if not raw:
        return NOMINAL[name]
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise bad_request(f'API.INVALID_{name.upper()}', f'{name} must be a positive number, got {raw[:40]!r}')
    return value


def percentile(ordered: Sequence[float], share: float) -> float:
    rank = (len(ordered) - 1) * share
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def statistics(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    mean = sum(values) / len(values)
    return {
        'count': len(values),
        'min': ordered[0],
        'max': ordered[-1],
        'mean': mean,
        'std': math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)),
        'p5': percentile(ordered, 0.05),
        'p95': percentile(ordered, 0.95),
    }


def category(name: str, unit: str | None) -> str | None:
    if 'THD' in name.upper():
        return 'thd'
    return {'V': 'voltage', 'A': 'current', 'HZ': 'frequency', 'HERTZ': 'frequency'}.get((unit or '').upper())


def compliance(name: str, series: Series, deviation: Any, limit: float) -> dict[str, Any]:
    """The share of readings whose |deviation| is within `limit`, the worst and when, mean and p95."""
    deviations = [deviation(v) for _, v in series]
    worst = max(range(len(series)), key=lambda i: abs(deviations[i]))
    absolute = sorted(abs(d) for d in deviations)
    return {
        'point_name': name,
        'limit': limit,
        'compliance_pct': 100.0 * sum(1 for d in absolute if d <= limit) / len(absolute),
        'worst_deviation': abs(deviations[worst]),
        'worst_time': series[worst][0],
        'metrics': [
            {'name': 'mean_deviation', 'value': sum(deviations) / len(deviations)},
            {'name': 'p95_abs_deviation', 'value': percentile(absolute, 0.95)},
        ],
    }


def unbalance(name: str, unit: str, phases: Sequence[Series], limit: float) -> dict[str, Any] | None:
    """The three-phase unbalance at each time all three phases have a reading with a positive mean."""
    maps = [dict(series) for series in phases]
    rates: Series = []
    for moment in sorted(set(maps[0]).intersection(maps[1], maps[2])):
        values = [m[moment] for m in maps]
        mean = sum(values) / 3
        if mean > 0:
            rates.append((moment, 100.0 * max(abs(v - mean) for v in values) / mean))
    if not rates:
        return None
    worst = max(rates, key=lambda r: r[1])
    values = [r for _, r in rates]
    return {
        'point_name': name,
        'unit': unit,
        'category': 'voltage' if unit == 'V' else 'current',
        'type': 'voltage_unbalance' if unit == 'V' else 'current_unbalance',
        'limit_pct': limit,
        'compliance_pct': 100.0 * sum(1 for r in values if r <= limit) / len(values),
        'worst_unbalance_pct': worst[1],
        'worst_time': worst[0],
        'metrics': [
            {'name': 'mean_unbalance_pct', 'value': sum(values) / len(values)},
            {'name': 'p95_unbalance_pct', 'value': percentile(sorted(values), 0.95)},
        ],
    }


def analyse(reporting: dict[str, list[Any]], voltage: float, frequency: float) -> list[dict[str, Any]]:
    """MyEMS's `analysis` entries from the trend's parallel lists (good analog readings only)."""
    found: list[dict[str, Any]] = []
    phases: dict[str, list[Series]] = {'voltage': [], 'current': []}
    columns = ('names', 'units', 'object_types', 'timestamps', 'values', 'is_bad')
    for name, unit, kind, stamps, values, bad in zip(*(reporting[c] for c in columns), strict=True):
        group = category(name, unit)
        series = [(t, float(v)) for t, v, b in zip(stamps, values, bad, strict=True) if not b and v is not None]
        if kind != 'ANALOG_VALUE' or group is None or not series:
            continue
        metrics = [{'name': k, 'value': v} for k, v in statistics([v for _, v in series]).items()]
        found.append({'point_name': name, 'unit': unit, 'category': group, 'type': 'statistics', 'metrics': metrics})
        if group == 'voltage':
            entry = compliance(name, series, lambda v: 100.0 * (v - voltage) / voltage, VOLTAGE_LIMIT_PCT)
            found.append({**entry, 'unit': '%', 'category': group, 'type': 'voltage_deviation'})
        elif group == 'frequency':
            entry = compliance(name, series, lambda v: v - frequency, FREQUENCY_LIMIT_HZ)
            severe = sum(1 for _, v in series if abs(v - frequency) > FREQUENCY_SEVERE_HZ)
            found.append(
                {
                    **entry,
                    'unit': 'Hz',
                    'category': group,
                    'type': 'frequency_deviation',
                    'limit_severe': FREQUENCY_SEVERE_HZ,
                    'severe_exceed_count': severe,
                }
            )
        if group in phases:
            phases[group].append(series)
    for group, unit, limit in (
        ('voltage', 'V', VOLTAGE_UNBALANCE_LIMIT_PCT),
        ('current', 'A', CURRENT_UNBALANCE_LIMIT_PCT),
    ):
        if len(phases[group]) >= 3:
            rates = unbalance(f'Three-phase {group}', unit, phases[group][:3], limit)
            if rates is not None:
                found.append(rates)
    return found


class PowerQuality(MeterTrend):
    suffix = 'powerquality'

    def build(self, req: falcon.Request, row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
        voltage, frequency = nominal(req, 'nominalvoltage'), nominal(req, 'nominalfrequency')
        result = super().build(req, row, tz)
        result['analysis'] = analyse(result['reporting_period'], voltage, frequency)
        result['nominal'] = {'voltage': voltage, 'frequency': frequency}
        return result
