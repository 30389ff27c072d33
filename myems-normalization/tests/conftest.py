"""Fixtures for the cleaning and normalization tests: a small metered world written straight into SQL."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from myems_common.db import Database
from myems_common.readings import ENERGY, Reading, write_batch


@dataclass
class World:
    db: Database
    settings: Any

    def meter(self, name: str, low: Decimal = Decimal(0), high: Decimal = Decimal(10**9)) -> tuple[int, int]:
        """A meter with one energy point; (meter id, point id)."""
        with self.db.transaction('system') as cur:
            cur.execute(
                'INSERT INTO tbl_data_sources (name, uuid, gateway_id, protocol, connection) VALUES'
                " (%s, UUID(), 1, 'modbus-tcp', '{}')",
                (f'{name} source',),
            )
            source = cur.lastrowid
            cur.execute(
                'INSERT INTO tbl_points (name, data_source_id, object_type, units, high_limit, low_limit, is_trend,'
                " address) VALUES (%s, %s, 'ENERGY_VALUE', 'kWh', %s, %s, 1, '{}')",
                (f'{name} counter', source, high, low),
            )
            point = cur.lastrowid
            cur.execute(
                'INSERT INTO tbl_meters (name, uuid, energy_category_id, is_counted, hourly_low_limit,'
                ' hourly_high_limit, cost_center_id) VALUES (%s, UUID(), 1, 1, 0, 0, 1)',
                (name,),
            )
            meter = cur.lastrowid
            cur.execute('INSERT INTO tbl_meters_points (meter_id, point_id) VALUES (%s, %s)', (meter, point))
        return int(meter), int(point)

    def analog(self, name: str, address: str = '{}', is_virtual: bool = False) -> int:
        with self.db.transaction('system') as cur:
            cur.execute(
                'INSERT INTO tbl_points (name, data_source_id, object_type, units, high_limit, low_limit, is_trend,'
                " is_virtual, address) VALUES (%s, 1, 'ANALOG_VALUE', 'kW', 1e6, -1e6, 1, %s, %s)",
                (name, is_virtual, address),
            )
            return int(cur.lastrowid)

    def readings(self, point: int, rows: Iterable[tuple[datetime, Decimal | float | int]]) -> None:
        """Stored the way acquisition stores them (trend rows, *_latest, late ones reported to cleaning)."""
        with self.db.transaction('historical') as cur:
            write_batch(cur, [Reading(point, ENERGY, t, Decimal(str(v))) for t, v in rows])

    def virtual_meter(self, name: str, equation: str, variables: dict[str, tuple[str, int]]) -> int:
        with self.db.transaction('system') as cur:
            cur.execute(
                'INSERT INTO tbl_virtual_meters (name, uuid, equation, energy_category_id, is_counted, cost_center_id)'
                ' VALUES (%s, UUID(), %s, 1, 1, 1)',
                (name, equation),
            )
            vm = int(cur.lastrowid)
            for symbol, (kind, target) in variables.items():
                cur.execute(
                    'INSERT INTO tbl_variables (name, virtual_meter_id, meter_type, meter_id) VALUES (%s, %s, %s, %s)',
                    (symbol, vm, kind, target),
                )
        return vm

    def slots(self, meter: int, kind: str = 'meter') -> list[tuple[datetime, Decimal, int]]:
        return [
            (t, v, int(e))
            for t, v, e in self.db.fetch_all(
                'energy',
                f'SELECT start_datetime_utc, actual_value, is_estimated FROM tbl_{kind}_hourly WHERE {kind}_id = %s'
                ' ORDER BY start_datetime_utc',
                (meter,),
            )
        ]

    def flags(self, point: int) -> dict[datetime, tuple[int | None, str | None]]:
        rows = self.db.fetch_all(
            'historical', 'SELECT utc_date_time, is_bad, bad_reason FROM tbl_energy_value WHERE point_id = %s', (point,)
        )
        return {t: (bad, reason) for t, bad, reason in rows}


@pytest.fixture
def world(fresh_databases: Any, request: pytest.FixtureRequest) -> Any:
    settings = fresh_databases(re.sub(r'\W', '_', request.node.name)[-20:].lower())
    db = Database(settings)
    yield World(db, settings)
    db.close()
