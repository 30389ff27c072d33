"""The bill of one billing period from its priced slots. Pure; called through `tariff.bill`.

Lines, in this order:

* energy: one line per time-of-use band name, the sum of the slots' costs (tiers included);
* demand: per demand charge of each version, price x billing demand x the version's time share of the
  period. Billing demand is the highest average kW over a rolling window starting at each slot: the
  energy of the slots starting within the window divided by its hours. The window is rounded down to a
  whole number of slots, at least one: a slot longer than the window (60-minute slots, 15-minute window)
  gives energy / slot hours. A charge limited to bands counts only the energy of slots in those bands;
* fixed: the version's fixed charge x its time share of the period (quantity: the days it covers);
* power_factor: with a measured power factor, rounded to two decimals (half up) as utility tables do,
  each hundredth below the target adds `surcharge_per_hundredth` of the version's energy and demand
  charges, each hundredth above subtracts `credit_per_hundredth`, at most `max_credit`;
* minimum: tops the subtotal up to the minimum bill (each version's minimum x its time share);
* tax: each tax of a version on that version's part of the subtotal (the minimum top-up shared by the
  versions' minimums); a tax's quantity is its taxable amount.

Amounts keep 6 decimals; only the total is rounded, half up, to the currency's minor unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from myems_common.tariff import (
    MICRO,
    Bill,
    BillLine,
    DemandCharge,
    PowerFactorRule,
    SlotPrice,
    TariffVersion,
    VersionTimeline,
    minor_unit,
)

_MICROSECOND = timedelta(microseconds=1)
_HOUR_MICROSECONDS = Decimal(3_600_000_000)
_DAY_MICROSECONDS = Decimal(86_400_000_000)
_HUNDRED = Decimal(100)
_KIND_ORDER = ('energy', 'demand', 'fixed', 'power_factor', 'minimum', 'tax')


@dataclass(frozen=True)
class _Part:
    """One version's part of a billing period."""

    version: TariffVersion
    covered: timedelta
    share: Decimal  # covered / period length
    label_suffix: str  # names the version when several share the period


def billing_demand(priced: Sequence[SlotPrice], slot: timedelta, charge: DemandCharge) -> Decimal:
    """The highest average kW over the charge's rolling window (see the module docstring); 0 without slots."""
    span = slot * max(1, timedelta(minutes=charge.window_minutes) // slot)
    energies = [
        (p.start_utc, p.energy if not charge.periods or p.period in charge.periods else Decimal(0)) for p in priced
    ]
    best = Decimal(0)
    window = Decimal(0)
    head = 0
    for start, energy in energies:
        while head < len(energies) and energies[head][0] < start + span:
            window += energies[head][1]
            head += 1
        best = max(best, window)
        window -= energy
    return (best * _HOUR_MICROSECONDS / Decimal(span // _MICROSECOND)).quantize(MICRO)


def power_factor_fraction(rule: PowerFactorRule, power_factor: Decimal) -> Decimal:
    """The fraction of energy + demand charges added (positive) or credited (negative) for a power factor."""
    hundredths = (rule.target - power_factor.quantize(Decimal('0.01'), ROUND_HALF_UP)) * _HUNDRED
    if hundredths >= 0:
        return hundredths * rule.surcharge_per_hundredth
    return -min(-hundredths * rule.credit_per_hundredth, rule.max_credit)


def check_bill_input(
    versions: Sequence[TariffVersion],
    slots: Sequence[tuple[datetime, Decimal]],
    period: tuple[datetime, datetime],
    power_factor: Decimal | None,
) -> None:
    if not versions:
        raise ValueError('a bill needs at least one tariff version')
    if len({version.id for version in versions}) < len(versions):
        raise ValueError('tariff versions must have distinct ids')
    if period[1] <= period[0]:
        raise ValueError('the billing period must end after it starts')
    outside = next((start for start, _ in slots if not period[0] <= start < period[1]), None)
    if outside is not None:
        raise ValueError(f'slot {outside} lies outside the billing period')
    if power_factor is not None and not 0 <= power_factor <= 1:
        raise ValueError('the power factor must be 0..1')


def _parts(timeline: VersionTimeline, period: tuple[datetime, datetime]) -> list[_Part]:
    length = Decimal((period[1] - period[0]) // _MICROSECOND)
    coverage = timeline.coverage(*period)
    several = len(coverage) > 1
    return [
        _Part(version, covered, Decimal(covered // _MICROSECOND) / length, f' (tariff {version.id})' if several else '')
        for version, covered in coverage
    ]


def _currency(versions: Sequence[TariffVersion], parts: Sequence[_Part]) -> str:
    currencies = {part.version.currency.upper() for part in parts} or {versions[0].currency.upper()}
    if len(currencies) > 1:
        raise ValueError('the versions of one billing period bill in different currencies: ' + ', '.join(currencies))
    return currencies.pop()


def _energy_lines(priced: Sequence[SlotPrice]) -> list[BillLine]:
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    for item in priced:
        if item.cost is not None and item.period is not None:
            energy, cost = totals.get(item.period, (Decimal(0), Decimal(0)))
            totals[item.period] = (energy + item.energy, cost + item.cost)
    return [BillLine('energy', name, energy, cost) for name, (energy, cost) in totals.items()]


def _demand_label(charge: DemandCharge) -> str:
    bands = ' ' + '+'.join(charge.periods) if charge.periods else ''
    return f'demand{bands} {charge.window_minutes} min'


def _charge_lines(
    part: _Part, energy_cost: Decimal, priced: Sequence[SlotPrice], slot: timedelta, power_factor: Decimal | None
) -> list[BillLine]:
    """A version's demand, fixed and power-factor lines."""
    version = part.version
    lines = []
    for charge in version.demand:
        demand = billing_demand(priced, slot, charge)
        amount = (charge.price * demand * part.share).quantize(MICRO)
        lines.append(BillLine('demand', _demand_label(charge) + part.label_suffix, demand, amount))
    if version.fixed_per_period:
        days = (Decimal(part.covered // _MICROSECOND) / _DAY_MICROSECONDS).quantize(MICRO)
        amount = (version.fixed_per_period * part.share).quantize(MICRO)
        lines.append(BillLine('fixed', 'fixed' + part.label_suffix, days, amount))
    if power_factor is not None and version.power_factor is not None:
        fraction = power_factor_fraction(version.power_factor, power_factor)
        if fraction:
            base = energy_cost + sum((line.amount for line in lines if line.kind == 'demand'), Decimal(0))
            label = f'power factor {power_factor.quantize(Decimal("0.01"), ROUND_HALF_UP)}' + part.label_suffix
            lines.append(BillLine('power_factor', label, power_factor, (base * fraction).quantize(MICRO)))
    return lines


def _tax_lines(parts: Sequence[_Part], subtotals: Sequence[Decimal], top_up: Decimal) -> list[BillLine]:
    """Each version's taxes on its subtotal plus its share of the minimum top-up; one line per (name, rate)."""
    minimums = [part.version.minimum_bill * part.share for part in parts]
    floor = sum(minimums, Decimal(0))
    taxed: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] = {}
    for part, subtotal, minimum in zip(parts, subtotals, minimums, strict=True):
        taxable = subtotal + (top_up * minimum / floor if floor else Decimal(0))
        for tax in part.version.taxes:
            base, amount = taxed.get((tax.name, tax.rate), (Decimal(0), Decimal(0)))
            taxed[(tax.name, tax.rate)] = (base + taxable, amount + taxable * tax.rate)
    return [
        BillLine('tax', name, base.quantize(MICRO), amount.quantize(MICRO))
        for (name, _), (base, amount) in taxed.items()
    ]


def assemble_bill(
    timeline: VersionTimeline,
    priced: Sequence[SlotPrice],
    slot: timedelta,
    period: tuple[datetime, datetime],
    power_factor: Decimal | None,
) -> Bill:
    """The bill of a period from its priced slots; `timeline` holds the versions that priced them."""
    parts = _parts(timeline, period)
    currency = _currency(timeline.versions, parts)
    lines = _energy_lines(priced)
    subtotals = []
    for part in parts:
        energy_cost = sum(
            (item.cost for item in priced if item.cost is not None and item.version_id == part.version.id), Decimal(0)
        )
        charges = _charge_lines(part, energy_cost, priced, slot, power_factor)
        lines.extend(charges)
        subtotals.append(energy_cost + sum((line.amount for line in charges), Decimal(0)))
    before_minimum = sum(subtotals, Decimal(0))
    floor = sum((part.version.minimum_bill * part.share for part in parts), Decimal(0)).quantize(MICRO)
    top_up = max(Decimal(0), floor - before_minimum)
    if top_up:
        lines.append(BillLine('minimum', 'minimum bill', Decimal(0), top_up))
    lines.extend(_tax_lines(parts, subtotals, top_up))
    lines.sort(key=lambda line: _KIND_ORDER.index(line.kind))
    subtotal = before_minimum + top_up
    taxes = sum((line.amount for line in lines if line.kind == 'tax'), Decimal(0))
    return Bill(
        period_start_utc=period[0],
        period_end_utc=period[1],
        currency=currency,
        lines=tuple(lines),
        energy=sum((item.energy for item in priced), Decimal(0)),
        unpriced_energy=sum((item.energy for item in priced if item.cost is None), Decimal(0)),
        subtotal=subtotal,
        total=(subtotal + taxes).quantize(Decimal(1).scaleb(-minor_unit(currency)), ROUND_HALF_UP),
    )
