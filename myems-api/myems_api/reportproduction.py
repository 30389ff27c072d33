"""Production reports: a space's product counts (myems_production_db `tbl_space_hourly`) beside its energy.

* `/reports/spaceproduction` (`spaceid`/`spaceuuid`, `productid`, `periodtype`, the base and reporting
  periods): the space's energy by category (the blocks of the energy category report) and its production
  of the product in the same buckets of its zone, MyEMS's keys: `product`, `base_production` and
  `reporting_production` (`timestamps`, `values`: None for a bucket without rows, and the reporting
  buckets' `rates` against the base bucket at the same calendar position), `base_total_production`,
  `reporting_total_production`, and the energy per unit produced, `total_in_kgce_per_prodution` and
  `total_in_kgco2e_per_prodution` (MyEMS's spelling) in `reporting_period`.
* `/reports/enterproduction` GET (`spaceid`, `productid`, the reporting period): MyEMS's list of
  `{'monthdate': 'YYYY-MM-DD', 'daily_value': ...}`, one per local day the period touches (None: no rows).
* `/reports/enterproduction` POST `{"spaceid": 1, "productid": 2, "value": [entry, ...]}` records manual
  amounts: an entry `["2026-03-29", 120]` is a whole local day, `["2026-03-29T06:00:00",
  "2026-03-29T14:00:00", 40]` a shift (slot boundaries). Each amount replaces what the span held for that
  space and product, spread evenly over its slots (6 decimals, the last slot takes the remainder, so the
  slots add up to the amount exactly; a DST day has 23 or 25). Every entry is checked before anything is
  written (a 400 names the field); the write is one audited transaction.

Every route refuses anonymous callers and a space outside the caller's; entering needs a user who may write.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, time, timedelta, tzinfo
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

import falcon

from myems_api.context import Services
from myems_api.errors import ApiError, bad_request, not_found
from myems_api.exports import requested_format, respond
from myems_api.reportkinds import Rows, category_report, rate, ratio
from myems_api.reportmeters import COMMON_QUERY, PERIOD_QUERY, ObjectReport, Query, forbid_unless_visible, serve
from myems_api.reportrequest import ReportRequest, object_zone, period_range
from myems_api.reports import REPORT_KINDS, SHOWN, SeriesReport
from myems_api.routedocs import document
from myems_api.translations import label
from myems_api.validate import parse_id
from myems_common.counters import EPOCH
from myems_common.periods import align, bucket_sums, buckets, parse_local
from myems_common.timeutil import to_local, to_utc

log = logging.getLogger(__name__)
MICRO = Decimal('0.000001')
LIMIT = Decimal('1e15')  # DECIMAL(21,6)
INVALID = 'API.INVALID_PRODUCTION_VALUE'
MOST_ENTRIES = 1000
LONGEST = timedelta(days=7)  # a shift longer than a week is a mistake, not a shift
YEARS = (datetime(1970, 1, 1), datetime(2100, 1, 1))  # the instants an entry may cover
ZERO = Decimal(0)


def product_of(services: Services, raw: Any) -> dict[str, Any]:
    """The product named by `productid` (400 if malformed, 404 if unknown)."""
    product_id = parse_id(raw if raw is not None else '', 'API.INVALID_PRODUCT_ID', 'productid')
    with services.transaction('production') as cur:
        cur.execute(
            'SELECT id, name, unit_of_measure, tag, standard_product_coefficient FROM tbl_products WHERE id = %s',
            (product_id,),
        )
        found = cur.fetchone()
    if found is None:
        raise not_found('API.PRODUCT_NOT_FOUND', f'product {product_id} not found')
    return dict(zip(('id', 'name', 'unit', 'tag', 'coefficient'), found, strict=True))


def production_rows(services: Services, space_id: int, product_id: int, span: tuple[datetime, datetime]) -> Rows:
    with services.transaction('production') as cur:
        cur.execute(
            'SELECT start_datetime_utc, product_count FROM tbl_space_hourly WHERE space_id = %s AND product_id = %s'
            ' AND start_datetime_utc >= %s AND start_datetime_utc < %s ORDER BY start_datetime_utc',
            (space_id, product_id, *span),
        )
        return [(at, Decimal(count)) for at, count in cur.fetchall()]


class SpaceProduction(ObjectReport):
    kind = 'space'
    suffix = 'spaceproduction'

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, scope = self.services.who(req)
        fmt = requested_format(req)
        energy = SeriesReport(self.services, 'space', REPORT_KINDS[0])  # the energy category report's frame
        request, frame = energy.frame(req, scope)
        product = product_of(self.services, req.get_param('productid'))
        slot = frame.slot
        result: dict[str, Any] = {'space': {k: request.row[k] for k in SHOWN if k in request.row}, 'product': product}
        result.update(category_report(frame, 'energy'))
        result.update(self.production(request, int(product['id']), slot))
        rep, total = result['reporting_period'], result['reporting_total_production']
        rep['total_in_kgce_per_prodution'] = ratio(rep['total_in_kgce'], total)
        rep['total_in_kgco2e_per_prodution'] = ratio(rep['total_in_kgco2e'], total)
        title = f'{label(self.suffix, request.language)}: {request.row["name"]} - {product["name"]}'
        respond(req, resp, result, fmt, title, request.language)

    def production(self, request: ReportRequest, product_id: int, slot: timedelta) -> dict[str, Any]:
        """The product's counts in the report's buckets, both periods; rates pair buckets by calendar position."""
        blocks: dict[str, Any] = {}
        bucket_lists = {}
        for name, span in (('base', request.base), ('reporting', request.reporting)):
            bucket_list = buckets(*span, request.period_type, request.zone, slot) if span else []
            rows = production_rows(self.services, request.id, product_id, span) if span else []
            values = bucket_sums(rows, bucket_list)
            bucket_lists[name] = bucket_list
            blocks[f'{name}_production'] = {'timestamps': [b.label for b in bucket_list], 'values': values}
            blocks[f'{name}_total_production'] = sum((v for v in values if v is not None), ZERO)
            blocks[f'{name}_result_values'] = []  # MyEMS's (always empty) lists
        pairs = align(bucket_lists['base'], bucket_lists['reporting'], request.period_type, slot)
        base_values = blocks['base_production']['values']
        blocks['reporting_production']['rates'] = [
            rate(value, None if j is None else base_values[j])
            for value, j in zip(blocks['reporting_production']['values'], pairs, strict=True)
        ]
        return blocks


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


# ------------------------------------------------------------------------------------------ entering
def invalid(message: str) -> ApiError:
    return bad_request(INVALID, message)


def moment(text: Any, where: str, tz: tzinfo) -> datetime:
    """A local date or date-time as naive UTC, within YEARS."""
    try:
        found: datetime = parse_local(text, tz)
    except (ValueError, OverflowError) as error:
        raise invalid(f'{where}: {error}') from None
    if not YEARS[0] <= found < YEARS[1]:
        raise invalid(f'{where} must lie in the years {YEARS[0].year} to {YEARS[1].year - 1}, got {text!r}')
    return found


def local_day(text: Any, where: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """The local day 'YYYY-MM-DD' as naive UTC [midnight, next midnight)."""
    start = moment(text, where, tz)
    if not isinstance(text, str) or len(text.strip()) != 10:
        raise invalid(f'{where} must be a date like 2026-03-29 (or give a shift: [start, end, amount])')
    day = to_local(start, tz).date()
    return start, to_utc(datetime.combine(day + timedelta(days=1), time()), tz)


def shift(texts: Sequence[Any], where: str, tz: tzinfo, slot: timedelta) -> tuple[datetime, datetime]:
    """[start, end) from two local date-times on slot boundaries."""
    found = []
    for index, text in enumerate(texts):
        at = moment(text, f'{where}[{index}]', tz)
        if (at - EPOCH) % slot:
            raise invalid(f'{where}[{index}] must fall on a {slot.seconds // 60}-minute slot boundary')
        found.append(at)
    if not found[0] < found[1] <= found[0] + LONGEST:
        raise invalid(f'{where}: the shift must end after it starts, within {LONGEST.days} days')
    return found[0], found[1]


def amount_of(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise invalid(f'{where} must be a number, got {value!r}')
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise invalid(f'{where} must be a number, got {value!r}') from None
    if not amount.is_finite() or amount < 0 or amount >= LIMIT:
        raise invalid(f'{where} must be a number from 0 to below 10^15, got {value!r}')
    if amount != amount.quantize(MICRO, ROUND_DOWN):
        raise invalid(f'{where} has more than 6 decimals: {value!r}')
    return amount


def entries(value: Any, tz: tzinfo, slot: timedelta) -> list[tuple[datetime, datetime, Decimal]]:
    """The checked entries of a POST body's `value`, none overlapping another."""
    if not isinstance(value, list) or not 0 < len(value) <= MOST_ENTRIES:
        raise invalid(f'value must be a list of 1 to {MOST_ENTRIES} [date, amount] or [start, end, amount] entries')
    found: list[tuple[datetime, datetime, Decimal]] = []
    for index, entry in enumerate(value):
        where = f'value[{index}]'
        if not isinstance(entry, list) or len(entry) not in (2, 3):
            raise invalid(f'{where} must be [date, amount] or [start, end, amount], got {entry!r}')
        times, amount = entry[:-1], amount_of(entry[-1], f'{where}[{len(entry) - 1}]')
        start, end = local_day(times[0], f'{where}[0]', tz) if len(times) == 1 else shift(times, where, tz, slot)
        for other, (first, last, _) in enumerate(found):
            if start < last and first < end:
                raise invalid(f'{where} overlaps value[{other}]')
        found.append((start, end, amount))
    return found


def spread(start: datetime, end: datetime, amount: Decimal, slot: timedelta) -> list[tuple[datetime, Decimal]]:
    """`amount` over the slots starting in [start, end) (a local midnight off the slot grid, as in a zone
    at UTC+05:30, starts at the next slot): equal shares, the last one taking the rounding remainder."""
    first = start + (EPOCH - start) % slot
    count = -((first - end) // slot)
    share = (amount / count).quantize(MICRO, ROUND_DOWN)
    return [(first + i * slot, share if i < count - 1 else amount - share * (count - 1)) for i in range(count)]


class EnterProduction(ObjectReport):
    kind = 'space'
    suffix = 'enterproduction'

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, scope = self.services.who(req)
        with self.services.system() as cur:
            row = self.space(cur, req.get_param('spaceid'), scope)
            tz = object_zone(cur, 'space', row, self.services.settings.default_timezone)
        product = product_of(self.services, req.get_param('productid'))
        span = period_range(req, 'reporting', tz, required=True)
        assert span is not None
        first = to_local(span[0], tz).date()
        stop = to_local(span[1] - timedelta(microseconds=1), tz).date() + timedelta(days=1)
        days = (to_utc(datetime.combine(first, time()), tz), to_utc(datetime.combine(stop, time()), tz))
        slot = timedelta(minutes=self.services.settings.minutes_to_count)
        bucket_list = buckets(*days, 'daily', tz, slot)
        values = bucket_sums(production_rows(self.services, int(row['id']), int(product['id']), days), bucket_list)
        resp.media = [{'monthdate': b.label, 'daily_value': v} for b, v in zip(bucket_list, values, strict=True)]

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity, scope = self.services.who(req)
        if identity.kind != 'user' or identity.is_read_only:
            raise ApiError(403, 'API.FORBIDDEN', 'read-only users and API keys cannot enter production')
        body = req.get_media()
        if not isinstance(body, dict):
            raise bad_request('API.INVALID_REQUEST_BODY', 'the body must be a JSON object with spaceid and value')
        with self.services.system() as cur:
            row = self.space(cur, body.get('spaceid'), scope)
            tz = object_zone(cur, 'space', row, self.services.settings.default_timezone)
        product = product_of(self.services, body.get('productid'))
        slot = timedelta(minutes=self.services.settings.minutes_to_count)
        found = entries(body.get('value'), tz, slot)
        space_id, product_id = int(row['id']), int(product['id'])
        with self.services.write(identity, 'POST', 'space_production', space_id, body, 'production') as (cur, _):
            for start, end, amount in found:
                cur.execute(
                    'DELETE FROM tbl_space_hourly WHERE space_id = %s AND product_id = %s'
                    ' AND start_datetime_utc >= %s AND start_datetime_utc < %s',
                    (space_id, product_id, start, end),
                )
                cur.executemany(
                    'INSERT INTO tbl_space_hourly (space_id, product_id, start_datetime_utc, product_count)'
                    ' VALUES (%s, %s, %s, %s)',
                    [(space_id, product_id, at, value) for at, value in spread(start, end, amount, slot)],
                )
        log.info('space %s product %s: %d production entries', space_id, product_id, len(found))
        resp.media = {}

    @staticmethod
    def space(cur: Any, raw: Any, scope: Any) -> dict[str, Any]:
        """The space named by `spaceid` (400, 404, or 403 outside the caller's spaces)."""
        space_id = parse_id(raw if raw is not None else '', 'API.INVALID_SPACE_ID', 'spaceid')
        cur.execute('SELECT * FROM tbl_spaces WHERE id = %s', (space_id,))
        found = cur.fetchone()
        if found is None:
            raise not_found('API.SPACE_NOT_FOUND', f'space {space_id} not found')
        forbid_unless_visible(scope, 'space', space_id)
        return dict(zip(cur.column_names, found, strict=True))


PRODUCT_QUERY: Query = (('spaceid', 'integer', True), ('productid', 'integer', True))
ENTRY = {'type': 'array', 'minItems': 2, 'maxItems': 3, 'items': {'type': ['string', 'number']}}
ENTER_BODY = {
    'type': 'object',
    'required': ['spaceid', 'productid', 'value'],
    'properties': {
        'spaceid': {'type': 'integer'},
        'productid': {'type': 'integer'},
        'value': {'type': 'array', 'minItems': 1, 'items': ENTRY},
    },
}


def add_production_routes(app: falcon.App[Any, Any], services: Services) -> list[dict[str, Any]]:
    """Serve the space production report and production entry; their catalogue entries."""
    periods = (
        ('periodtype', 'string', True),
        ('baseperiodstartdatetime', 'string', False),
        ('baseperiodenddatetime', 'string', False),
        *PERIOD_QUERY,
    )
    entered = serve(
        app,
        EnterProduction(services),
        "A space's production of a product per local day of a period",
        (*PRODUCT_QUERY, *PERIOD_QUERY),
        'production',
        'production',
    )
    document(
        '/reports/enterproduction',
        'POST',
        "Record a space's production of a product for local days or shifts (spread over their slots)",
        'reports',
        body=ENTER_BODY,
    )
    return [
        serve(
            app,
            SpaceProduction(services),
            "A space's production of a product per bucket beside its energy, and the energy per unit produced",
            (
                ('spaceid', 'integer', False),
                ('spaceuuid', 'string', False),
                ('productid', 'integer', True),
                *periods,
                *COMMON_QUERY,
                ('exportexcel', 'string', False),
            ),
            'production',
            'production',
        ),  # fmt: skip
        entered,
    ]
