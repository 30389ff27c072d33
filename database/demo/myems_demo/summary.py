"""How to reach the running demo and what it holds: ``python -m myems_demo.summary`` (the end of ``make demo``)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import datetime

from myems_common.config import Settings, load_settings
from myems_common.db import Database
from myems_common.timeutil import to_local, zone
from myems_demo.campus import DEMO_PASSWORDS, TIMEZONE, USERS

COUNTED_TABLES = {
    'spaces': 'tbl_spaces',
    'meters': 'tbl_meters',
    'virtual meters': 'tbl_virtual_meters',
    'offline meters': 'tbl_offline_meters',
    'points': 'tbl_points',
    'equipments': 'tbl_equipments',
    'combined equipments': 'tbl_combined_equipments',
    'tenants': 'tbl_tenants',
    'stores': 'tbl_stores',
    'shopfloors': 'tbl_shopfloors',
}
READING_TABLES = {'energy': 'tbl_energy_value', 'analog': 'tbl_analog_value', 'digital': 'tbl_digital_value'}


@dataclass
class Contents:
    """What the demo databases hold."""

    counts: dict[str, int] = field(default_factory=dict)
    meters_by_category: list[tuple[str, str, int]] = field(default_factory=list)
    readings: dict[str, int] = field(default_factory=dict)
    first_reading: datetime | None = None
    last_reading: datetime | None = None


def gather(db: Database) -> Contents:
    found = Contents()
    for label, table in COUNTED_TABLES.items():
        row = db.fetch_one('system', f'SELECT COUNT(*) FROM {table}')
        found.counts[label] = int(row[0]) if row else 0
    found.meters_by_category = [
        (str(name), str(unit), int(n))
        for name, unit, n in db.fetch_all(
            'system',
            'SELECT c.name, c.unit_of_measure, COUNT(m.id) FROM tbl_energy_categories c '
            'JOIN tbl_meters m ON m.energy_category_id = c.id GROUP BY c.id, c.name, c.unit_of_measure ORDER BY c.id',
        )
    ]
    for label, table in READING_TABLES.items():
        row = db.fetch_one('historical', f'SELECT COUNT(*) FROM {table}')
        found.readings[label] = int(row[0]) if row else 0
    span = db.fetch_one('historical', 'SELECT MIN(utc_date_time), MAX(utc_date_time) FROM tbl_energy_value')
    if span:
        found.first_reading, found.last_reading = span
    return found


def _when(value: datetime | None) -> str:
    if value is None:
        return '-'
    local = to_local(value, zone(TIMEZONE))
    return f'{value:%Y-%m-%d %H:%M:%S} UTC ({local:%Y-%m-%d %H:%M %Z} in {TIMEZONE})'


def render(settings: Settings, found: Contents) -> str:
    """The text `make demo` ends with."""
    db = settings.db('system')
    lines = [
        '',
        'MyEMS demo (Lindenhof Campus) is running',
        '',
        f'  MariaDB   {db.host}:{db.port}  user {db.user}  password {db.password}  databases myems_*',
        f'            mariadb -h {db.host} -P {db.port} -u {db.user} -p{db.password} myems_system_db',
        f'  Redis     {settings.redis_host}:{settings.redis_port}',
        f'  MQTT      {settings.mqtt_broker_host}:{settings.mqtt_broker_port}',
        f'  API       http://127.0.0.1:{os.environ.get("MYEMS_API_PORT", "8000")}  (docs at /docs, sign in with'
        ' PUT /users/login)',
        '',
        '  Demo users (demo only, change them before showing this to anyone):',
    ]
    for user in USERS:
        role = 'administrator' if user.is_admin else 'read-only, Office Building only'
        lines.append(f'    {user.name:<14} {DEMO_PASSWORDS[user.name]:<18} {role}')
    lines += ['', '  Configuration:']
    lines += [f'    {label:<20} {n}' for label, n in found.counts.items()]
    lines += [f'    meters: {name:<12} {n} ({unit})' for name, unit, n in found.meters_by_category]
    lines += ['', '  Readings:']
    lines += [f'    {label:<20} {n:,}' for label, n in found.readings.items()]
    lines += [
        f'    first reading        {_when(found.first_reading)}',
        f'    last reading         {_when(found.last_reading)}',
    ]
    return '\n'.join(lines) + '\n'


def main() -> int:
    settings = load_settings()
    db = Database(settings)
    try:
        found = gather(db)
    finally:
        db.close()
    sys.stdout.write(render(settings, found))
    return 0


if __name__ == '__main__':
    sys.exit(main())
