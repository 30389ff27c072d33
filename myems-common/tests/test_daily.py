"""Daily sums (myems_common.daily) written beside hourly rows, on the test stack's energy database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from myems_common.daily import refresh_daily
from myems_common.db import Database
from myems_common.series import SeriesKey
from myems_common.slotstore import replace_rows

KEY = SeriesKey('energy', 'space', 'input', 'category')
SPACE = 987_654
DAY = datetime(2026, 5, 1)


def daily(db: Database) -> dict[int, Decimal]:
    rows = db.fetch_all(
        'energy',
        'SELECT energy_category_id, actual_value FROM tbl_space_input_category_daily'
        ' WHERE space_id = %s AND start_datetime_utc = %s',
        (SPACE, DAY),
    )
    return {int(c): v for c, v in rows}


def test_a_recompute_of_part_of_a_day_keeps_the_days_of_the_categories_it_did_not_write(database: Database) -> None:
    with database.transaction('energy') as cur:
        cur.execute('DELETE FROM tbl_space_input_category_hourly WHERE space_id = %s', (SPACE,))
        cur.execute('DELETE FROM tbl_space_input_category_daily WHERE space_id = %s', (SPACE,))
        first = [(c, DAY + timedelta(hours=h), Decimal(c)) for c in (1, 2) for h in range(24 if c == 1 else 12)]
        replace_rows(cur, KEY.table, (('space_id', SPACE),), ('energy_category_id', 'start_datetime_utc'),
                     ('actual_value',), DAY, DAY + timedelta(days=1), first)  # fmt: skip
        for category in (1, 2):  # one category at a time, as the migration fills them
            refresh_daily(cur, KEY, SPACE, DAY, DAY + timedelta(days=1), UTC, {category})
    assert daily(database) == {1: 24, 2: 24}
    with database.transaction('energy') as cur:  # category 1's afternoon recomputed: 3 an hour
        start, end = DAY + timedelta(hours=12), DAY + timedelta(days=1)
        again = [(1, start + timedelta(hours=h), Decimal(3)) for h in range(12)]
        touched = replace_rows(cur, KEY.table, (('space_id', SPACE),), ('energy_category_id', 'start_datetime_utc'),
                               ('actual_value',), start, end, again)  # fmt: skip
        assert touched == {1}
        refresh_daily(cur, KEY, SPACE, start, end, UTC, touched, written=again)
    assert daily(database) == {1: 12 + 36, 2: 24}  # category 2's morning is still its day
