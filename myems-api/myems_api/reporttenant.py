"""`/reports/tenantbill`: the bill of a tenant's consumption over the reporting period, per energy category.

The reporting period is the billing period: for each energy category the tenant has energy slots of in
it, `tariffbook.object_bill` prices them with the tariffs of the tenant's cost centre (energy by
time-of-use band, demand, fixed and power-factor charges, minimum bill, taxes; the total rounded in the
tariff's currency). A category without a tariff is listed with its energy, all of it unpriced.

MyEMS's keys are kept (`tenant`; `reporting_period` names, energy_category_ids, units, subtotals_input,
subtotals_cost, total_cost, currency_unit). `bills` holds the bill of each category as a period block
for the exports: the line labels as `timestamps`, their amounts as `values` (with `kinds` and
`quantities`), and per category its energy, unpriced energy, subtotal, taxes and total.
"""

from __future__ import annotations

import logging
from datetime import timedelta, tzinfo
from decimal import Decimal
from typing import Any

import falcon

from myems_api.context import Services
from myems_api.reportmeters import COMMON_QUERY, PERIOD_QUERY, ObjectReport, local_text, serve
from myems_api.reportrequest import period_range
from myems_common.tariff import Bill
from myems_common.tariffbook import current_book, object_bill

log = logging.getLogger(__name__)
ZERO = Decimal(0)
TENANT_FIELDS = ('id', 'name', 'uuid', 'buildings', 'floors', 'rooms', 'lease_number', 'area', 'cost_center_id')


class TenantBill(ObjectReport):
    kind = 'tenant'
    suffix = 'tenantbill'

    def build(self, req: falcon.Request, row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
        settings = self.services.settings
        span = period_range(req, 'reporting', tz, required=True)
        assert span is not None
        tenant = {k: row[k] for k in TENANT_FIELDS}
        with self.services.system() as cur:
            cur.execute('SELECT email, phone FROM tbl_contacts WHERE id = %s', (row['contact_id'],))
            contact = cur.fetchone() or (None, None)
        tenant.update(email=contact[0], phone=contact[1])
        with self.services.transaction('energy') as energy:
            energy.execute(
                'SELECT energy_category_id, CAST(SUM(actual_value) AS CHAR) FROM tbl_tenant_input_category_hourly'
                ' WHERE tenant_id = %s AND start_datetime_utc >= %s AND start_datetime_utc < %s'
                ' GROUP BY energy_category_id ORDER BY energy_category_id',
                (row['id'], *span),
            )
            inputs = {int(c): Decimal(v) for c, v in energy.fetchall()}
        categories: dict[int, tuple[str, str]] = {}
        if inputs:
            rows = self.services.db.fetch_all(
                'system',
                'SELECT id, name, unit_of_measure FROM tbl_energy_categories'
                f' WHERE id IN ({", ".join(["%s"] * len(inputs))}) ORDER BY id',
                list(inputs),
            )
            categories = {int(i): (str(n), str(u)) for i, n, u in rows}
        book = current_book(self.services.db, timedelta(minutes=settings.minutes_to_count))
        bills: dict[int, Bill | None] = {}
        for category in inputs:
            try:
                bills[category] = object_bill(self.services.db, 'tenant', int(row['id']), category, span, book)
            except LookupError:
                bills[category] = None
        currencies = sorted({b.currency for b in bills.values() if b is not None})
        currency = currencies[0] if len(currencies) == 1 else settings.currency_unit
        totals = [b.total if b is not None else None for b in bills.values()]
        reporting = {
            'names': [categories.get(c, (str(c), ''))[0] for c in inputs],
            'energy_category_ids': list(inputs),
            'units': [categories.get(c, ('', ''))[1] for c in inputs],
            'subtotals_input': list(inputs.values()),
            'subtotals_cost': totals,
            'total_cost': sum((t for t in totals if t is not None), ZERO) if len(currencies) <= 1 else None,
            'currency_unit': currency,
            'period_start': local_text(span[0], tz),
            'period_end': local_text(span[1], tz),
        }
        return {'tenant': tenant, 'reporting_period': reporting, 'bills': bill_block(inputs, categories, bills)}


def bill_block(
    inputs: dict[int, Decimal], categories: dict[int, tuple[str, str]], bills: dict[int, Bill | None]
) -> dict[str, Any]:
    """The bills of the categories as one period block: a column per category, a row per bill line."""
    block: dict[str, list[Any]] = {
        k: []
        for k in ('names', 'energy_category_ids', 'units', 'timestamps', 'values', 'kinds', 'quantities')
        + ('energies', 'unpriced_energies', 'subtotals', 'taxes', 'totals')
    }
    for category, energy in inputs.items():
        found = bills[category]
        block['names'].append(categories.get(category, (str(category), ''))[0])
        block['energy_category_ids'].append(category)
        block['units'].append(found.currency if found else None)
        lines = found.lines if found else ()
        block['timestamps'].append([f'{line.kind}: {line.label}' for line in lines])
        block['values'].append([line.amount for line in lines])
        block['kinds'].append([line.kind for line in lines])
        block['quantities'].append([line.quantity for line in lines])
        block['energies'].append(found.energy if found else energy)
        block['unpriced_energies'].append(found.unpriced_energy if found else energy)
        block['subtotals'].append(found.subtotal if found else None)
        block['taxes'].append(sum((x.amount for x in lines if x.kind == 'tax'), ZERO) if found else None)
        block['totals'].append(found.total if found else None)
    return block


def add_tenant_bill_route(app: falcon.App[Any, Any], services: Services) -> dict[str, Any]:
    return serve(
        app,
        TenantBill(services),
        "Bill of a tenant's consumption per energy category over the reporting period, by its cost centre's tariffs",
        (('tenantid', 'integer', False), ('tenantuuid', 'string', False), *PERIOD_QUERY, *COMMON_QUERY),
        'energy',
        'cost',
    )
