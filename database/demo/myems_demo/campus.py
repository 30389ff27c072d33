"""The Lindenhof demo campus, as data.

One campus in Berlin (Europe/Berlin) under the root space: an office building (5 floors), a laboratory
(3 floors) and a hotel (6 floors), each floor with a few rooms. A central energy centre (chiller plant and
boiler plant) serves the buildings with cooling and heat. Meters form trees per energy category: a campus
main meter, a master meter per building, sub-meters per floor and per system. Master meters are not counted
(``is_counted = 0``): only the leaves are summed by aggregation, so nothing is counted twice.

Demo-only credentials: the two demo accounts below (``DEMO_PASSWORDS``) exist so that a newcomer can sign in
to a freshly started demo. They are published in this file and in ``make demo``'s output; never load this
campus into a system that is reachable by anyone else.

Id scheme (fixed, so a re-load updates rows in place):

* spaces: 2 campus, 10/20/30 buildings, building + floor number for floors (11..15, 21..23, 31..36),
  floor id * 100 + n for rooms (1101, 1102, ...);
* meters: 1..16 campus and energy centre, 1xx office, 2xx laboratory, 3xx hotel; the ENERGY_VALUE point of a
  meter has the meter's id; analog points 501.., digital points 601..;
* benchmark meters (history.py ``--meters``) start at 100001.

Every row type is a frozen dataclass whose column fields carry MyEMS's column names; ``Row.values()`` gives
the row for ``bulk_upsert``. Simulation details (load shape, scale, reading interval) ride along on meters
in ``Sim`` and are not columns.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, ClassVar

D = Decimal

# Demo-only credentials (see the module docstring). The one place they are written down.
DEMO_PASSWORDS: dict[str, str] = {'administrator': 'Admin#Demo2026', 'viewer': 'Viewer#Demo2026'}

TIMEZONE = 'Europe/Berlin'
CAMPUS_LATITUDE = D('52.4310000000')
CAMPUS_LONGITUDE = D('13.5290000000')
CAMPUS_ADDRESS = 'Lindenhofallee 1, 12489 Berlin'
MODBUS_HOST = '127.0.0.1'
MODBUS_BASE_PORT = 15020
MQTT_TOPIC_PREFIX = 'lindenhof/hotel/water'
# Meters whose register is an unsigned 32-bit count of litres (point ratio 0.001 gives m³).
LITRE_REGISTERS = frozenset({242})
UUID_NAMESPACE = uuid.UUID('6f1c7f0e-5a44-4c1e-9a36-3d1c2b0a4d11')

ELECTRICITY, WATER, GAS, COOLING, HEATING, DIESEL = 1, 2, 3, 4, 5, 6
CAMPUS, OFFICE, LAB, HOTEL = 2, 10, 20, 30
CC_CAMPUS, CC_OFFICE, CC_LAB, CC_HOTEL = 1, 2, 3, 4
DS_PLANT, DS_OFFICE, DS_LAB, DS_HOTEL, DS_HOTEL_WATER = 1, 2, 3, 4, 5


def demo_uuid(table: str, row_id: int) -> str:
    """A stable uuid per (table, id), so re-loading never changes an entity's uuid."""
    return str(uuid.uuid5(UUID_NAMESPACE, f'{table}:{row_id}'))


# ------------------------------------------------------------------------------------------- row types
class Row:
    """A row of one table. Dataclass fields are columns unless listed in NOT_COLUMNS."""

    TABLE: ClassVar[str]
    DATABASE: ClassVar[str] = 'system'
    HAS_UUID: ClassVar[bool] = True
    NOT_COLUMNS: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        names = tuple(f.name for f in fields(cls) if f.name not in cls.NOT_COLUMNS)  # type: ignore[arg-type]
        return names + ('uuid',) if cls.HAS_UUID else names

    def values(self) -> tuple[Any, ...]:
        cols = self.columns()
        row = [getattr(self, c) for c in cols if c != 'uuid']
        if self.HAS_UUID:
            row.append(demo_uuid(self.TABLE, self.id))  # type: ignore[attr-defined]
        return tuple(row)


@dataclass(frozen=True)
class EnergyCategory(Row):
    TABLE = 'tbl_energy_categories'
    id: int
    name: str
    unit_of_measure: str
    kgce: Decimal
    kgco2e: Decimal


@dataclass(frozen=True)
class EnergyItem(Row):
    TABLE = 'tbl_energy_items'
    id: int
    name: str
    energy_category_id: int


@dataclass(frozen=True)
class CostCenter(Row):
    TABLE = 'tbl_cost_centers'
    id: int
    name: str
    external_id: str


@dataclass(frozen=True)
class Tariff(Row):
    TABLE = 'tbl_tariffs'
    id: int
    name: str
    energy_category_id: int
    unit_of_price: str
    valid_from_datetime_utc: datetime
    valid_through_datetime_utc: datetime
    tariff_type: str = 'timeofuse'


@dataclass(frozen=True)
class TimeOfUse(Row):
    TABLE = 'tbl_tariffs_timeofuses'
    HAS_UUID = False
    id: int
    tariff_id: int
    start_time_of_day: time
    end_time_of_day: time
    peak_type: str
    price: Decimal


@dataclass(frozen=True)
class Contact(Row):
    TABLE = 'tbl_contacts'
    id: int
    name: str
    email: str
    phone: str
    description: str


@dataclass(frozen=True)
class WorkingCalendar(Row):
    TABLE = 'tbl_working_calendars'
    HAS_UUID = False
    id: int
    name: str
    description: str


@dataclass(frozen=True)
class NonWorkingDay(Row):
    TABLE = 'tbl_working_calendars_non_working_days'
    HAS_UUID = False
    working_calendar_id: int
    date_local: date
    description: str


@dataclass(frozen=True)
class Space(Row):
    TABLE = 'tbl_spaces'
    id: int
    name: str
    parent_space_id: int
    area: Decimal
    number_of_occupants: Decimal
    timezone_id: int
    cost_center_id: int | None
    is_input_counted: bool = True
    is_output_counted: bool = False
    latitude: Decimal | None = CAMPUS_LATITUDE
    longitude: Decimal | None = CAMPUS_LONGITUDE
    contact_id: int | None = 1
    description: str | None = None


@dataclass(frozen=True)
class DataSource(Row):
    TABLE = 'tbl_data_sources'
    id: int
    name: str
    protocol: str
    connection: str
    gateway_id: int = 1
    description: str | None = None


@dataclass(frozen=True)
class Point(Row):
    TABLE = 'tbl_points'
    HAS_UUID = False
    id: int
    name: str
    data_source_id: int
    object_type: str
    units: str
    high_limit: Decimal
    low_limit: Decimal
    address: str
    is_trend: bool = True
    is_virtual: bool = False
    ratio: Decimal = D(1)
    offset_constant: Decimal = D(0)
    description: str | None = None


@dataclass(frozen=True)
class Sim:
    """How history.py simulates a meter (not stored).

    A leaf follows `shape` times `scale` (typical consumption per hour). A master (a meter others name as
    master) is the sum of its sub-meters plus a `loss` share. A derived meter is `factor` times the
    consumption of meter `source`, optionally times `shape` (for example a chiller's 1/COP).
    """

    shape: str = ''
    scale: float = 0.0
    loss: float = 0.0
    source: int | None = None
    factor: float = 1.0
    interval: int = 60


@dataclass(frozen=True)
class Meter(Row):
    TABLE = 'tbl_meters'
    NOT_COLUMNS = frozenset({'sim', 'data_source_id', 'address'})
    id: int
    name: str
    energy_category_id: int
    energy_item_id: int | None
    master_meter_id: int | None
    cost_center_id: int
    is_counted: bool
    hourly_low_limit: Decimal
    hourly_high_limit: Decimal
    sim: Sim
    data_source_id: int
    address: str
    description: str | None = None


@dataclass(frozen=True)
class VirtualMeter(Row):
    TABLE = 'tbl_virtual_meters'
    id: int
    name: str
    equation: str
    energy_category_id: int
    energy_item_id: int | None
    cost_center_id: int
    is_counted: bool = False
    description: str | None = None


@dataclass(frozen=True)
class Variable(Row):
    TABLE = 'tbl_variables'
    HAS_UUID = False
    id: int
    name: str
    virtual_meter_id: int
    meter_type: str
    meter_id: int


@dataclass(frozen=True)
class OfflineMeter(Row):
    TABLE = 'tbl_offline_meters'
    id: int
    name: str
    energy_category_id: int
    energy_item_id: int | None
    cost_center_id: int
    hourly_low_limit: Decimal
    hourly_high_limit: Decimal
    is_counted: bool = True
    description: str | None = None


@dataclass(frozen=True)
class Equipment(Row):
    TABLE = 'tbl_equipments'
    id: int
    name: str
    cost_center_id: int
    efficiency_indicator: Decimal = D(0)
    is_input_counted: bool = True
    is_output_counted: bool = True
    description: str | None = None


@dataclass(frozen=True)
class CombinedEquipment(Equipment):
    TABLE = 'tbl_combined_equipments'


@dataclass(frozen=True)
class TenantType(Row):
    TABLE = 'tbl_tenant_types'
    id: int
    name: str
    simplified_code: str
    description: str | None = None


@dataclass(frozen=True)
class StoreType(TenantType):
    TABLE = 'tbl_store_types'


@dataclass(frozen=True)
class Tenant(Row):
    TABLE = 'tbl_tenants'
    id: int
    name: str
    buildings: str
    floors: str
    rooms: str
    area: Decimal
    tenant_type_id: int
    is_key_tenant: bool
    lease_number: str
    lease_start_datetime_utc: datetime
    lease_end_datetime_utc: datetime
    cost_center_id: int
    is_in_lease: bool = True
    is_input_counted: bool = True
    contact_id: int = 1
    description: str | None = None


@dataclass(frozen=True)
class Store(Row):
    TABLE = 'tbl_stores'
    id: int
    name: str
    area: Decimal
    store_type_id: int
    cost_center_id: int
    address: str = CAMPUS_ADDRESS
    latitude: Decimal = CAMPUS_LATITUDE
    longitude: Decimal = CAMPUS_LONGITUDE
    is_input_counted: bool = True
    contact_id: int = 1
    description: str | None = None


@dataclass(frozen=True)
class Shopfloor(Row):
    TABLE = 'tbl_shopfloors'
    id: int
    name: str
    area: Decimal
    cost_center_id: int
    is_input_counted: bool = True
    contact_id: int | None = 1
    description: str | None = None


@dataclass(frozen=True)
class Sensor(Row):
    TABLE = 'tbl_sensors'
    id: int
    name: str
    description: str | None = None


@dataclass(frozen=True)
class Privilege(Row):
    TABLE = 'tbl_privileges'
    DATABASE = 'user'
    HAS_UUID = False
    id: int
    name: str
    data: str


@dataclass(frozen=True)
class DemoUser:
    """A demo account; load.py hashes DEMO_PASSWORDS[name] into tbl_users."""

    id: int
    name: str
    display_name: str
    email: str
    is_admin: bool
    is_read_only: bool
    privilege_id: int | None


@dataclass(frozen=True)
class Link:
    """Rows of one relation table such as tbl_spaces_meters; each table has a UNIQUE key on its id pair."""

    table: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


# ------------------------------------------------------------------------------------------- reference data
ENERGY_CATEGORIES = (
    # kgce: kg coal equivalent per unit; kgco2e: German factors (grid mix, district heat, fuels).
    EnergyCategory(ELECTRICITY, 'Electricity', 'kWh', D('0.1229'), D('0.380')),
    EnergyCategory(WATER, 'Water', 'm³', D('0.0857'), D('0.344')),
    EnergyCategory(GAS, 'Natural Gas', 'm³', D('1.2143'), D('2.016')),
    EnergyCategory(COOLING, 'Cooling', 'kWh', D('0.0342'), D('0.106')),
    EnergyCategory(HEATING, 'Heating', 'kWh', D('0.1229'), D('0.201')),
    EnergyCategory(DIESEL, 'Diesel', 'L', D('1.2240'), D('2.650')),
)

# name -> (id, energy category)
ITEMS: dict[str, tuple[int, int]] = {
    'Lighting': (1, ELECTRICITY),
    'HVAC': (2, ELECTRICITY),
    'Plug Load': (3, ELECTRICITY),
    'Process': (4, ELECTRICITY),
    'EV Charging': (5, ELECTRICITY),
    'Kitchen': (6, ELECTRICITY),
    'Sanitary Water': (7, WATER),
    'Process Water': (8, WATER),
    'Kitchen Water': (9, WATER),
    'Kitchen Gas': (10, GAS),
    'Domestic Hot Water': (11, GAS),
    'Process Gas': (12, GAS),
    'Heat Generation': (13, GAS),
    'Space Cooling': (14, COOLING),
    'Process Cooling': (15, COOLING),
    'Space Heating': (16, HEATING),
    'Standby Power Fuel': (17, DIESEL),
}
ENERGY_ITEMS = tuple(EnergyItem(item_id, name, cat) for name, (item_id, cat) in ITEMS.items())

COST_CENTERS = (
    CostCenter(CC_CAMPUS, 'Campus Services', 'KST-1000'),
    CostCenter(CC_OFFICE, 'Office Building', 'KST-2100'),
    CostCenter(CC_LAB, 'Laboratory', 'KST-2200'),
    CostCenter(CC_HOTEL, 'Hotel', 'KST-2300'),
)

CONTACTS = (
    Contact(1, 'Anna Weber', 'facility@lindenhof.example', '+49 30 5555 0100', 'Campus facility management'),
    Contact(2, 'Jonas Richter', 'hotel.ops@lindenhof.example', '+49 30 5555 0300', 'Hotel operations'),
)

# (id, category, name, unit of price, ((start, inclusive end, peak type, price), ...)). MyEMS's convention
# of inclusive end times (05:59:59) is kept, so the rows of a tariff tile 00:00:00-23:59:59 exactly.
Period = tuple[time, time, str, str]
ALL_DAY = (time(0), time(23, 59, 59))
TOU_ELECTRICITY: tuple[Period, ...] = (
    (time(0), time(5, 59, 59), 'offpeak', '0.215000'),
    (time(6), time(7, 59, 59), 'midpeak', '0.258000'),
    (time(8), time(19, 59, 59), 'onpeak', '0.305000'),
    (time(20), time(21, 59, 59), 'midpeak', '0.258000'),
    (time(22), time(23, 59, 59), 'offpeak', '0.215000'),
)
TARIFF_PLAN: tuple[tuple[int, int, str, str, tuple[Period, ...]], ...] = (
    (1, ELECTRICITY, 'Electricity (time of use)', 'EUR/kWh', TOU_ELECTRICITY),
    (2, WATER, 'Water and sewage (flat)', 'EUR/m³', ((*ALL_DAY, 'midpeak', '4.850000'),)),
    (3, GAS, 'Natural gas (flat)', 'EUR/m³', ((*ALL_DAY, 'midpeak', '0.980000'),)),
    (4, COOLING, 'Cooling (flat)', 'EUR/kWh', ((*ALL_DAY, 'midpeak', '0.120000'),)),
    (5, HEATING, 'District heating (flat)', 'EUR/kWh', ((*ALL_DAY, 'midpeak', '0.112000'),)),
    (6, DIESEL, 'Diesel (flat)', 'EUR/L', ((*ALL_DAY, 'midpeak', '1.690000'),)),
)
TARIFF_VALID_FROM_LOCAL = datetime(2020, 1, 1)
TARIFF_VALID_THROUGH_LOCAL = datetime(2035, 12, 31, 23, 59, 59)


# ------------------------------------------------------------------------------------------- holidays
def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def berlin_holidays(year: int) -> list[tuple[date, str]]:
    """Public holidays in Berlin: the national ones plus International Women's Day (since 2019)."""
    easter = easter_sunday(year)
    days = [
        (date(year, 1, 1), "New Year's Day"),
        (easter - timedelta(days=2), 'Good Friday'),
        (easter + timedelta(days=1), 'Easter Monday'),
        (date(year, 5, 1), 'Labour Day'),
        (easter + timedelta(days=39), 'Ascension Day'),
        (easter + timedelta(days=50), 'Whit Monday'),
        (date(year, 10, 3), 'German Unity Day'),
        (date(year, 12, 25), 'Christmas Day'),
        (date(year, 12, 26), 'Second Day of Christmas'),
    ]
    if year >= 2019:
        days.append((date(year, 3, 8), "International Women's Day"))
    return sorted(days)


@lru_cache(maxsize=64)
def _holiday_set(year: int) -> frozenset[date]:
    return frozenset(d for d, _ in berlin_holidays(year))


def is_public_holiday(day: date) -> bool:
    return day in _holiday_set(day.year)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a Berlin public holiday."""
    return day.weekday() < 5 and not is_public_holiday(day)


# ------------------------------------------------------------------------------------------- addresses
def modbus_connection(n: int) -> str:
    return json.dumps({'host': MODBUS_HOST, 'port': MODBUS_BASE_PORT + n, 'interval_in_seconds': 60})


def modbus_address(slave_id: int, offset: int, fmt: str) -> str:
    registers = {'>f': 2, '>L': 2, '>d': 4, '>H': 1}[fmt]
    return json.dumps(
        {
            'slave_id': slave_id,
            'function_code': 3,
            'offset': offset,
            'number_of_registers': registers,
            'format': fmt,
            'byte_swap': False,
        }
    )


def mqtt_address(topic: str) -> str:
    return json.dumps({'topic': topic, 'json_path': '$.value', 'timestamp_path': '$.ts'})


# ------------------------------------------------------------------------------------------- meters
@dataclass
class _MeterBook:
    """Collects meters while a layout is written down; `at()` sets the cost centre and data source that
    the following meters share, and each meter gets its own device (slave id) on that data source."""

    meters: list[Meter] = field(default_factory=list)
    next_slave: dict[int, int] = field(default_factory=dict)
    cost_center: int = CC_CAMPUS
    source: int = DS_PLANT

    def at(self, cost_center: int, source: int) -> None:
        self.cost_center, self.source = cost_center, source

    def add(self, meter_id: int, name: str, category: int, item: str | None, master: int | None, sim: Sim) -> None:
        if item is not None and ITEMS[item][1] != category:
            raise ValueError(f'meter {meter_id}: item {item!r} is not of category {category}')
        self.meters.append(
            Meter(
                id=meter_id,
                name=name,
                energy_category_id=category,
                energy_item_id=None if item is None else ITEMS[item][0],
                master_meter_id=master,
                cost_center_id=self.cost_center,
                is_counted=True,
                hourly_low_limit=D(0),
                hourly_high_limit=D(0),
                sim=sim,
                data_source_id=self.source,
                address=self._address(meter_id, master is None or sim.loss != 0),
            )
        )

    def _address(self, meter_id: int, large: bool) -> str:
        if self.source == DS_HOTEL_WATER:
            return mqtt_address(f'{MQTT_TOPIC_PREFIX}/{meter_id}')
        slave = self.next_slave.get(self.source, 1)
        self.next_slave[self.source] = slave + 1
        # Large counters (campus mains and masters) need a double; sub-meters fit a float.
        fmt = '>L' if meter_id in LITRE_REGISTERS else '>d' if large else '>f'
        return modbus_address(slave, 0, fmt)


def leaf(shape: str, scale: float, interval: int = 60) -> Sim:
    return Sim(shape=shape, scale=scale, interval=interval)


def master(interval: int = 60) -> Sim:
    return Sim(loss=-1.0, interval=interval)  # the loss share is filled in per meter by _finish_meters


def derived(source: int, factor: float, shape: str = '', interval: int = 60) -> Sim:
    return Sim(source=source, factor=factor, shape=shape, interval=interval)


EL, WA, GA, CO, HE = ELECTRICITY, WATER, GAS, COOLING, HEATING
Q = 15  # electricity is read every 15 minutes, the other categories every 60


def _campus_meters(book: _MeterBook) -> None:
    add = book.add
    book.at(CC_CAMPUS, DS_PLANT)
    add(1, 'Campus Main Electricity', EL, None, None, master(Q))
    add(2, 'Campus Main Water', WA, None, None, master())
    add(3, 'Campus Main Natural Gas', GA, None, None, master())
    add(4, 'Campus Cooling Main (Chiller Plant Output)', CO, None, None, master())
    add(5, 'Campus Heating Main (Boiler Plant Output)', HE, None, None, master())
    add(6, 'Energy Centre Electricity', EL, None, 1, master(Q))
    # A chiller's electricity is its cooling output divided by its COP, which falls as it gets warmer.
    add(7, 'Chiller 1 Electricity', EL, 'HVAC', 6, derived(10, 1.0, 'inverse_cop', Q))
    add(8, 'Chiller 2 Electricity', EL, 'HVAC', 6, derived(11, 1.0, 'inverse_cop', Q))
    add(9, 'Plant Pumps Electricity', EL, 'HVAC', 6, leaf('plant_pumps', 9.0, Q))
    add(10, 'Chiller 1 Cooling Output', CO, 'Space Cooling', None, derived(4, 0.6))
    add(11, 'Chiller 2 Cooling Output', CO, 'Space Cooling', None, derived(4, 0.4))
    # Boiler gas (m³) = heat output / (efficiency 0.92 x 10.35 kWh per m³).
    gas_per_kwh = 1 / (0.92 * 10.35)
    add(12, 'Boiler 1 Natural Gas', GA, 'Heat Generation', 3, derived(14, gas_per_kwh))
    add(13, 'Boiler 2 Natural Gas', GA, 'Heat Generation', 3, derived(15, gas_per_kwh))
    add(14, 'Boiler 1 Heat Output', HE, 'Space Heating', None, derived(5, 0.55))
    add(15, 'Boiler 2 Heat Output', HE, 'Space Heating', None, derived(5, 0.45))
    add(16, 'Cooling Tower Make-up Water', WA, 'Process Water', 2, derived(4, 0.0021))


def _office_meters(book: _MeterBook) -> None:
    add = book.add
    book.at(CC_OFFICE, DS_OFFICE)
    add(100, 'Office Electricity', EL, None, 1, master(Q))
    for n in range(1, 6):
        add(100 + n, f'Office Floor {n} Electricity', EL, None, 100, master(Q))
        add(110 + n, f'Office Floor {n} Lighting', EL, 'Lighting', 100 + n, leaf('office_lighting', 3.2, Q))
        add(120 + n, f'Office Floor {n} Plug Load', EL, 'Plug Load', 100 + n, leaf('office', 5.0, Q))
    add(106, 'Office Air Handling Unit', EL, 'HVAC', 100, leaf('office_hvac', 11.0, Q))
    add(107, 'EV Charging Station', EL, 'EV Charging', 100, leaf('ev_charging', 14.0, Q))
    add(108, 'Café Linde Electricity', EL, 'Kitchen', 101, leaf('cafe', 6.0, Q))
    add(140, 'Office Water', WA, None, 2, master())
    add(141, 'Café Linde Water', WA, 'Kitchen Water', 140, leaf('cafe', 0.15))
    add(142, 'Office Sanitary Water', WA, 'Sanitary Water', 140, leaf('office_water', 0.9))
    add(150, 'Office Natural Gas', GA, None, 3, master())
    add(151, 'Café Linde Natural Gas', GA, 'Kitchen Gas', 150, leaf('cafe', 1.6))
    add(160, 'Office Cooling', CO, None, 4, master())
    add(170, 'Office Heating', HE, None, 5, master())
    for n in range(1, 6):
        add(160 + n, f'Office Floor {n} Cooling', CO, 'Space Cooling', 160, leaf('office_cooling', 28.0))
        add(170 + n, f'Office Floor {n} Heating', HE, 'Space Heating', 170, leaf('office_heating', 34.0))


def _lab_meters(book: _MeterBook) -> None:
    add = book.add
    book.at(CC_LAB, DS_LAB)
    add(200, 'Laboratory Electricity', EL, None, 1, master(Q))
    for n in range(1, 4):
        add(200 + n, f'Laboratory Floor {n} Electricity', EL, None, 200, master(Q))
        add(210 + n, f'Laboratory Floor {n} Lighting', EL, 'Lighting', 200 + n, leaf('lab_lighting', 4.0, Q))
        add(220 + n, f'Laboratory Floor {n} Instruments', EL, 'Plug Load', 200 + n, leaf('lab', 12.0, Q))
    add(204, 'Fume Hood Exhaust Fans', EL, 'HVAC', 200, leaf('lab_hvac', 24.0, Q))
    add(205, 'Workshop Machines', EL, 'Process', 201, leaf('workshop', 16.0, Q))
    add(206, 'Laboratory Process Base Load', EL, 'Process', 200, leaf('process', 19.0, Q))
    add(207, 'Lab Supply Store Electricity', EL, 'Plug Load', 201, leaf('store', 1.8, Q))
    add(208, 'Workshop Lighting and Sockets', EL, 'Lighting', 201, leaf('workshop', 2.5, Q))
    add(240, 'Laboratory Water', WA, None, 2, master())
    add(241, 'Laboratory Process Water', WA, 'Process Water', 240, leaf('lab', 0.8))
    add(242, 'Laboratory Sanitary Water', WA, 'Sanitary Water', 240, leaf('office_water', 0.6))
    add(250, 'Laboratory Natural Gas', GA, None, 3, master())
    add(251, 'Laboratory Burners', GA, 'Process Gas', 250, leaf('lab', 0.7))
    add(260, 'Laboratory Cooling', CO, None, 4, master())
    add(261, 'Laboratory Space Cooling', CO, 'Space Cooling', 260, leaf('lab_cooling', 45.0))
    add(262, 'Laboratory Process Cooling', CO, 'Process Cooling', 260, leaf('process_cooling', 38.0))
    add(270, 'Laboratory Heating', HE, None, 5, master())
    add(271, 'Laboratory Space Heating', HE, 'Space Heating', 270, leaf('lab_heating', 55.0))
    add(272, 'Laboratory Make-up Air Heating', HE, 'Space Heating', 270, leaf('lab_heating', 40.0))


def _hotel_meters(book: _MeterBook) -> None:
    add = book.add
    book.at(CC_HOTEL, DS_HOTEL)
    add(300, 'Hotel Electricity', EL, None, 1, master(Q))
    add(301, 'Hotel Floor 1 Electricity', EL, None, 300, master(Q))
    for n in range(2, 6):
        add(300 + n, f'Hotel Floor {n} Electricity', EL, 'Plug Load', 300, leaf('hotel_rooms', 14.0, Q))
    add(306, 'Hotel Floor 6 Electricity (Spa)', EL, 'Plug Load', 300, leaf('spa', 16.0, Q))
    add(307, 'Hotel Air Handling Units', EL, 'HVAC', 300, leaf('hotel_hvac', 18.0, Q))
    add(308, 'Kitchen Line Electricity', EL, 'Kitchen', 301, leaf('kitchen', 20.0, Q))
    add(309, 'Hotel Shop Electricity', EL, 'Plug Load', 301, leaf('store', 2.2, Q))
    add(310, 'Lobby Lighting', EL, 'Lighting', 301, leaf('hotel_lobby', 5.0, Q))
    add(311, 'Brasserie Electricity', EL, 'Plug Load', 301, leaf('restaurant', 8.0, Q))
    add(350, 'Hotel Natural Gas', GA, None, 3, master())
    add(351, 'Kitchen Natural Gas', GA, 'Kitchen Gas', 350, leaf('kitchen', 3.5))
    add(352, 'Domestic Hot Water Boiler Gas', GA, 'Domestic Hot Water', 350, leaf('hotel_water', 7.5))
    add(360, 'Hotel Cooling', CO, None, 4, master())
    add(361, 'Hotel Guest Floors Cooling', CO, 'Space Cooling', 360, leaf('hotel_cooling', 60.0))
    add(362, 'Lobby and Restaurant Cooling', CO, 'Space Cooling', 360, leaf('office_cooling', 30.0))
    add(370, 'Hotel Heating', HE, None, 5, master())
    add(371, 'Hotel Guest Floors Heating', HE, 'Space Heating', 370, leaf('hotel_heating', 85.0))
    add(372, 'Lobby and Restaurant Heating', HE, 'Space Heating', 370, leaf('hotel_heating', 30.0))
    book.at(CC_HOTEL, DS_HOTEL_WATER)  # the hotel's water meters publish over MQTT
    add(340, 'Hotel Water', WA, None, 2, master())
    add(341, 'Hotel Floor 1 Water', WA, 'Sanitary Water', 340, leaf('hotel_lobby', 0.35))
    for n in range(2, 7):
        add(340 + n, f'Hotel Floor {n} Water', WA, 'Sanitary Water', 340, leaf('spa' if n == 6 else 'hotel_water', 0.9))
    add(347, 'Kitchen Water', WA, 'Kitchen Water', 340, leaf('kitchen', 0.7))


HIGH_LIMIT_FACTOR = 4


def loss_share(meter_id: int) -> float:
    """The unmetered share of a master meter on top of its sub-meters: 2 % to 6 %, fixed per meter."""
    return round(0.02 + (meter_id * 37 % 41) / 1000, 3)


def nice_limit(value: float) -> Decimal:
    """Round up to two significant digits, at least 1."""
    value = max(value, 1.0)
    magnitude = 10 ** (len(str(int(value))) - 2) if value >= 100 else 1
    return D(int(-(-value // magnitude)) * magnitude)


def _mean_hourly(meter: Meter, by_id: dict[int, Meter], children: dict[int, list[int]]) -> float:
    sim = meter.sim
    if sim.source is not None:
        factor = sim.factor * (0.25 if sim.shape == 'inverse_cop' else 1.0)
        return factor * _mean_hourly(by_id[sim.source], by_id, children)
    if meter.id in children:
        total = sum(_mean_hourly(by_id[c], by_id, children) for c in children[meter.id])
        return total * (1 + loss_share(meter.id))
    return sim.scale


def _finish_meters(meters: list[Meter]) -> tuple[Meter, ...]:
    """Fill in masters' loss shares, is_counted (masters are not counted) and the hourly limits."""
    by_id = {m.id: m for m in meters}
    children: dict[int, list[int]] = {}
    for m in meters:
        if m.master_meter_id is not None:
            children.setdefault(m.master_meter_id, []).append(m.id)
    done = []
    for m in meters:
        is_master = m.id in children
        sim = m.sim
        if sim.loss < 0:
            if not is_master:
                raise ValueError(f'meter {m.id} is declared as a master but has no sub-meters')
            sim = Sim(loss=loss_share(m.id), interval=sim.interval)
        # Peaks reach about 3x the typical hour (a cold winter morning, a hot afternoon); leave room above.
        high = nice_limit(_mean_hourly(m, by_id, children) * HIGH_LIMIT_FACTOR)
        done.append(
            Meter(
                **{f.name: getattr(m, f.name) for f in fields(Meter)}
                | {'sim': sim, 'is_counted': not is_master, 'hourly_high_limit': high}
            )
        )
    return tuple(done)


def build_meters() -> tuple[Meter, ...]:
    book = _MeterBook()
    for layout in (_campus_meters, _office_meters, _lab_meters, _hotel_meters):
        layout(book)
    return _finish_meters(book.meters)


METERS = build_meters()
METERS_BY_ID = {m.id: m for m in METERS}


@dataclass(frozen=True)
class Fault:
    """A fault injected into one meter's readings, placed `hours_before_end` before the history's end.

    gap: no readings for `hours`; reset: the counter restarts near 0 and keeps counting; spike: one
    reading far above the trend, the next one is back on it; rollover: the register wraps at `modulus`.
    """

    kind: str
    meter_id: int
    hours_before_end: float
    hours: float = 0.0
    modulus: float = 0.0


# All within the last 10 days, so a short history shows every one of them.
FAULTS = (
    Fault('spike', 121, 52),  # Office Floor 1 Plug Load, about two days before the end
    Fault('gap', 204, 100, hours=6),  # Fume Hood Exhaust Fans
    Fault('reset', 311, 148),  # Brasserie Electricity: meter replaced
    Fault('rollover', 242, 196, modulus=100000.0),  # Laboratory Sanitary Water: 8-digit register
)


# ------------------------------------------------------------------------------------------- benchmark
BENCHMARK_SPACE = 90
BENCHMARK_DATA_SOURCE = 9
BENCHMARK_FIRST_METER = 100001
_BENCHMARK_SHAPES = (('office', 'Plug Load'), ('lab', 'Process'), ('hotel_rooms', 'Plug Load'), ('store', 'Lighting'))


def benchmark_meter(n: int) -> Meter:
    """Benchmark meter n (1-based): electricity, 15-minute readings, id 100000 + n, its own Modbus register."""
    shape, item = _BENCHMARK_SHAPES[n % len(_BENCHMARK_SHAPES)]
    scale = 2.0 + (n * 7919 % 280) / 10
    address = modbus_address(1 + (n - 1) // 2000, (n - 1) % 2000 * 2, '>f')
    return Meter(
        id=BENCHMARK_FIRST_METER - 1 + n, name=f'Benchmark Meter {n:06d}', energy_category_id=ELECTRICITY,
        energy_item_id=ITEMS[item][0], master_meter_id=None, cost_center_id=CC_CAMPUS, is_counted=True,
        hourly_low_limit=D(0), hourly_high_limit=nice_limit(scale * HIGH_LIMIT_FACTOR), sim=leaf(shape, scale, 15),
        data_source_id=BENCHMARK_DATA_SOURCE, address=address,
    )  # fmt: skip


def benchmark_rows(meters: Sequence[Meter], timezone_id: int) -> tuple[tuple[Row, ...], ...]:
    """The Benchmark Building (under the root space), its device server and the meters' points."""
    space = Space(BENCHMARK_SPACE, 'Benchmark Building', 1, D(10000), D(1), timezone_id, CC_CAMPUS)
    source = DataSource(BENCHMARK_DATA_SOURCE, 'Benchmark Modbus Server', 'modbus-tcp', modbus_connection(9))
    return (space,), (source,), tuple(meter_point(m) for m in meters), tuple(meters)


def benchmark_links(meters: Sequence[Meter]) -> tuple[Link, ...]:
    return (
        _link('tbl_meters_points', 'meter_id point_id', ((m.id, m.id) for m in meters)),
        _link('tbl_spaces_meters', 'space_id meter_id', ((BENCHMARK_SPACE, m.id) for m in meters)),
    )


# ------------------------------------------------------------------------------------------- spaces
@dataclass(frozen=True)
class BuildingPlan:
    space_id: int
    name: str
    cost_center_id: int
    floors: int
    floor_area: int
    occupants_per_floor: int
    rooms: tuple[str, ...]  # rooms on every floor but the first
    ground_rooms: tuple[str, ...]
    top_rooms: tuple[str, ...] = ()


_OFFICE_ROOMS = ('Open-Plan Office', 'Meeting Room', 'Kitchenette')
_LAB_ROOMS = ('Wet Lab', 'Instrument Room', 'Write-up Office')
_HOTEL_ROOMS = ('Guest Rooms East Wing', 'Guest Rooms West Wing', 'Housekeeping')
BUILDINGS = (
    BuildingPlan(OFFICE, 'Office Building', CC_OFFICE, 5, 1200, 64, _OFFICE_ROOMS,
                 ('Reception', 'Café Linde', 'Conference Centre')),
    BuildingPlan(LAB, 'Laboratory', CC_LAB, 3, 1500, 40, _LAB_ROOMS, ('Workshop', 'Lab Supply Store', 'Wet Lab')),
    BuildingPlan(HOTEL, 'Hotel', CC_HOTEL, 6, 1300, 45, _HOTEL_ROOMS, ('Lobby', 'Brasserie', 'Kitchen'),
                 ('Spa', 'Fitness Room', 'Pool')),
)  # fmt: skip


def floor_id(building: int, floor: int) -> int:
    return building + floor


def room_id(building: int, floor: int, n: int) -> int:
    return floor_id(building, floor) * 100 + n


def _floor_rooms(plan: BuildingPlan, floor: int) -> tuple[str, ...]:
    if floor == 1:
        return plan.ground_rooms
    if floor == plan.floors and plan.top_rooms:
        return plan.top_rooms
    return plan.rooms


def build_spaces(timezone_id: int) -> tuple[Space, ...]:
    total_area = sum(b.floors * b.floor_area for b in BUILDINGS)
    total_people = sum(b.floors * b.occupants_per_floor for b in BUILDINGS)
    spaces = [
        Space(
            CAMPUS, 'Lindenhof Campus', 1, D(total_area), D(total_people), timezone_id, CC_CAMPUS,
            is_output_counted=True, description='Office, laboratory and hotel around a central energy centre',
        )
    ]  # fmt: skip
    for plan in BUILDINGS:
        area, people = plan.floors * plan.floor_area, plan.floors * plan.occupants_per_floor
        spaces.append(Space(plan.space_id, plan.name, CAMPUS, D(area), D(people), timezone_id, plan.cost_center_id))
        for floor in range(1, plan.floors + 1):
            fid = floor_id(plan.space_id, floor)
            spaces.append(
                Space(
                    fid, f'{plan.name} Floor {floor}', plan.space_id, D(plan.floor_area),
                    D(plan.occupants_per_floor), timezone_id, plan.cost_center_id,
                )
            )  # fmt: skip
            rooms = _floor_rooms(plan, floor)
            for n, room in enumerate(rooms, start=1):
                spaces.append(
                    Space(
                        room_id(plan.space_id, floor, n), f'{plan.name} {floor}.{n:02d} {room}', fid,
                        D(plan.floor_area // (len(rooms) + 1)), D(1), timezone_id, plan.cost_center_id,
                        is_input_counted=False, description='Room: carries sensors, not meters',
                    )
                )  # fmt: skip
    return tuple(spaces)


# ------------------------------------------------------------------------------------------- acquisition
DATA_SOURCES = (
    DataSource(DS_PLANT, 'Energy Centre Modbus Server', 'modbus-tcp', modbus_connection(DS_PLANT)),
    DataSource(DS_OFFICE, 'Office Building Modbus Server', 'modbus-tcp', modbus_connection(DS_OFFICE)),
    DataSource(DS_LAB, 'Laboratory Modbus Server', 'modbus-tcp', modbus_connection(DS_LAB)),
    DataSource(DS_HOTEL, 'Hotel Modbus Server', 'modbus-tcp', modbus_connection(DS_HOTEL)),
)


def mqtt_data_source(host: str, port: int) -> DataSource:
    connection = json.dumps({'host': host, 'port': port, 'topic_prefix': MQTT_TOPIC_PREFIX, 'qos': 1})
    return DataSource(DS_HOTEL_WATER, 'Hotel Water Meters (MQTT)', 'mqtt', connection)


@dataclass(frozen=True)
class SignalPlan:
    """An ANALOG_VALUE or DIGITAL_VALUE point and where it is linked; `signal` names its simulation."""

    id: int
    name: str
    units: str
    low: int
    high: int
    signal: str
    data_source_id: int
    slave_id: int
    offset: int
    space_id: int | None = None
    sensor: str | None = None


_ROOM = '°C', 5, 40
ANALOG_POINTS = (
    SignalPlan(501, 'Outdoor Air Temperature', '°C', -30, 45, 'outdoor', DS_PLANT, 100, 0, CAMPUS, 'Weather Station'),
    SignalPlan(502, 'Chilled Water Supply Temperature', '°C', 0, 20, 'chw_supply', DS_PLANT, 100, 2, CAMPUS),
    SignalPlan(503, 'Chilled Water Return Temperature', '°C', 0, 25, 'chw_return', DS_PLANT, 100, 4, CAMPUS),
    SignalPlan(504, 'Campus Active Power', 'kW', 0, 5000, 'power:1', DS_PLANT, 1, 100, CAMPUS),
    SignalPlan(505, 'Office Building Active Power', 'kW', 0, 2000, 'power:100', DS_OFFICE, 1, 100, OFFICE),
    SignalPlan(506, 'Office 2.01 Room Temperature', *_ROOM, 'room:office', DS_OFFICE, 200, 0, 1201, 'Office 2.01'),
    SignalPlan(507, 'Office 4.02 Room Temperature', *_ROOM, 'room:office', DS_OFFICE, 200, 2, 1402, 'Office 4.02'),
    SignalPlan(508, 'Laboratory 2.01 Room Temperature', *_ROOM, 'room:lab', DS_LAB, 200, 0, 2201, 'Laboratory 2.01'),
    SignalPlan(509, 'Hotel 3.01 Room Temperature', *_ROOM, 'room:hotel', DS_HOTEL, 200, 0, 3301, 'Hotel 3.01'),
    SignalPlan(510, 'Hotel Lobby Temperature', *_ROOM, 'room:hotel', DS_HOTEL, 200, 2, 3101, 'Hotel Lobby'),
)  # fmt: skip

DIGITAL_POINTS = (
    SignalPlan(601, 'Chilled Water Pump 1 Status', '', 0, 1, 'pump:cooling:0', DS_PLANT, 101, 0, CAMPUS),
    SignalPlan(602, 'Chilled Water Pump 2 Status', '', 0, 1, 'pump:cooling:1', DS_PLANT, 101, 1, CAMPUS),
    SignalPlan(603, 'Heating Water Pump 1 Status', '', 0, 1, 'pump:heating:0', DS_PLANT, 101, 2, CAMPUS),
    SignalPlan(604, 'Heating Water Pump 2 Status', '', 0, 1, 'pump:heating:1', DS_PLANT, 101, 3, CAMPUS),
)

COUNTER_HIGH_LIMIT = D('99999999999')


POINT_SUFFIX = {ELECTRICITY: 'Active Energy', WATER: 'Volume', GAS: 'Volume', COOLING: 'Energy', HEATING: 'Energy'}


def meter_point(m: Meter) -> Point:
    """The ENERGY_VALUE point of a meter (same id as the meter): a cumulative counter."""
    unit = next(c.unit_of_measure for c in ENERGY_CATEGORIES if c.id == m.energy_category_id)
    ratio = D('0.001') if m.id in LITRE_REGISTERS else D(1)
    name = f'{m.name} {POINT_SUFFIX[m.energy_category_id]}'
    return Point(m.id, name, m.data_source_id, 'ENERGY_VALUE', unit, COUNTER_HIGH_LIMIT, D(0), m.address, ratio=ratio)


def _signal_point(s: SignalPlan, object_type: str) -> Point:
    fmt = '>f' if object_type == 'ANALOG_VALUE' else '>H'
    address = modbus_address(s.slave_id, s.offset, fmt)
    return Point(s.id, s.name, s.data_source_id, object_type, s.units, D(s.high), D(s.low), address)


def build_points() -> tuple[Point, ...]:
    points = [meter_point(m) for m in METERS]
    points += [_signal_point(s, 'ANALOG_VALUE') for s in ANALOG_POINTS]
    points += [_signal_point(s, 'DIGITAL_VALUE') for s in DIGITAL_POINTS]
    return tuple(points)


SENSORS = tuple(Sensor(n, name) for n, name in enumerate([s.sensor for s in ANALOG_POINTS if s.sensor], start=1))


# ------------------------------------------------------------------------------------------- virtual and offline
VIRTUAL_METERS = (
    VirtualMeter(1, 'Office Electricity without EV Charging', 'x1 - x2', ELECTRICITY, None, CC_OFFICE),
    # Electricity plus the laboratory's cooling converted at a seasonal COP of 4.5.
    VirtualMeter(2, 'Laboratory Energy as Electricity Equivalent', 'x1 + (x2 + x3) / 4.5', ELECTRICITY, None, CC_LAB),
    VirtualMeter(3, 'Hotel Guest Floors Electricity Share', '0.9 * x1', ELECTRICITY, None, CC_HOTEL),
    VirtualMeter(4, 'Campus Heat Distribution Loss', 'x1 - x2 - x3 - x4', HEATING, None, CC_CAMPUS),
)
VARIABLES = (
    Variable(1, 'x1', 1, 'meter', 100),
    Variable(2, 'x2', 1, 'meter', 107),
    Variable(3, 'x1', 2, 'meter', 200),
    Variable(4, 'x2', 2, 'meter', 261),
    Variable(5, 'x3', 2, 'meter', 262),
    Variable(6, 'x1', 3, 'meter', 300),
    Variable(7, 'x1', 4, 'meter', 5),
    Variable(8, 'x2', 4, 'meter', 170),
    Variable(9, 'x3', 4, 'meter', 270),
    Variable(10, 'x4', 4, 'meter', 370),
)
OFFLINE_METERS = (
    # Tank dips read monthly; the generator runs for monthly tests and outages.
    OfflineMeter(1, 'Emergency Generator Diesel', DIESEL, ITEMS['Standby Power Fuel'][0], CC_CAMPUS, D(0), D(400)),
    # The remote gatehouse is on district water and read by hand once a month.
    OfflineMeter(2, 'Gatehouse Water (monthly reading)', WATER, ITEMS['Sanitary Water'][0], CC_CAMPUS, D(0), D(5)),
)


# ------------------------------------------------------------------------------------------- equipment
EQUIPMENTS = (
    Equipment(1, 'Chiller 1', CC_CAMPUS, D('5.2'), description='Water-cooled screw chiller, 800 kW'),
    Equipment(2, 'Chiller 2', CC_CAMPUS, D('5.0'), description='Water-cooled screw chiller, 600 kW'),
    Equipment(3, 'Boiler 1', CC_CAMPUS, D('0.92'), description='Condensing gas boiler, 1.2 MW'),
    Equipment(4, 'Boiler 2', CC_CAMPUS, D('0.92'), description='Condensing gas boiler, 900 kW'),
    Equipment(5, 'Office Air Handling Unit', CC_OFFICE),
    Equipment(6, 'Laboratory Fume Hood Exhaust', CC_LAB),
    Equipment(7, 'Workshop CNC Machining Centre', CC_LAB),
    Equipment(8, 'EV Charging Station (6 x 22 kW)', CC_OFFICE),
    Equipment(9, 'Hotel Kitchen Line', CC_HOTEL),
    Equipment(10, 'Emergency Diesel Generator', CC_CAMPUS, description='500 kVA standby generator'),
)
COMBINED_EQUIPMENTS = (
    CombinedEquipment(1, 'Chiller Plant', CC_CAMPUS, D('4.8')),
    CombinedEquipment(2, 'Boiler Plant', CC_CAMPUS, D('0.91')),
)
TENANT_TYPES = (
    TenantType(1, 'Office', 'OFF'),
    TenantType(2, 'Food Service', 'FNB'),
    TenantType(3, 'Wellness', 'WEL'),
)
STORE_TYPES = (
    StoreType(1, 'Café', 'CAF'),
    StoreType(2, 'Retail Shop', 'RET'),
    StoreType(3, 'Supply Store', 'SUP'),
)
_LEASE_START, _LEASE_END = datetime(2023, 12, 31, 23), datetime(2033, 12, 31, 22, 59, 59)
TENANTS = (
    Tenant(1, 'Nordlicht Consulting GmbH', 'Office Building', '2', '2.01-2.03', D(1200), 1, True, 'L-2024-017',
           _LEASE_START, _LEASE_END, CC_OFFICE),
    Tenant(2, 'Havelstrom Software AG', 'Office Building', '3', '3.01-3.03', D(1200), 1, False, 'L-2024-018',
           _LEASE_START, _LEASE_END, CC_OFFICE),
    Tenant(3, 'Brasserie Lindenhof', 'Hotel', '1', '1.02', D(420), 2, False, 'L-2024-031',
           _LEASE_START, _LEASE_END, CC_HOTEL, contact_id=2),
    Tenant(4, 'Spree Spa & Fitness', 'Hotel', '6', '6.01-6.03', D(1300), 3, False, 'L-2024-032',
           _LEASE_START, _LEASE_END, CC_HOTEL, contact_id=2),
)  # fmt: skip
STORES = (
    Store(1, 'Hotel Shop', D(60), 2, CC_HOTEL, contact_id=2),
    Store(2, 'Café Linde', D(180), 1, CC_OFFICE),
    Store(3, 'Lab Supply Store', D(90), 3, CC_LAB),
)
SHOPFLOORS = (Shopfloor(1, 'Laboratory Workshop', D(380), CC_LAB),)
WORKING_CALENDARS = (
    WorkingCalendar(1, 'Berlin Public Holidays', 'Weekends and public holidays in Berlin are non-working days'),
)


# ------------------------------------------------------------------------------------------- relations
def _link(table: str, columns: str, rows: Iterable[tuple[Any, ...]]) -> Link:
    return Link(table, tuple(columns.split()), tuple(rows))


def _pairs(left: int, rights: Iterable[int]) -> Iterator[tuple[int, int]]:
    return ((left, r) for r in rights)


# What each space holds directly. Masters (not counted) are linked for display; leaves are linked where
# they are not already reached through an equipment, tenant, store or shopfloor on the same branch.
SPACE_METERS: dict[int, tuple[int, ...]] = {
    CAMPUS: (1, 2, 3, 4, 5, 6, 16),
    OFFICE: (100, 140, 150, 160, 170, 142),
    11: (101, 111, 121, 161, 171),
    12: (102,),
    13: (103,),
    14: (104, 114, 124, 164, 174),
    15: (105, 115, 125, 165, 175),
    LAB: (200, 240, 250, 260, 270, 206, 241, 242, 251, 261, 262, 271, 272),
    21: (201, 211, 221),
    22: (202, 212, 222),
    23: (203, 213, 223),
    HOTEL: (300, 340, 350, 360, 370, 307, 352, 361, 371),
    31: (301, 310, 341, 362, 372),
    32: (302, 342),
    33: (303, 343),
    34: (304, 344),
    35: (305, 345),
}
TENANT_METERS = {1: (112, 122, 162, 172), 2: (113, 123, 163, 173), 3: (311, 347), 4: (306, 346)}
STORE_METERS = {1: (309,), 2: (108, 141, 151), 3: (207,)}
SHOPFLOOR_METERS = {1: (208,)}
# (equipment, meter, is_output)
EQUIPMENT_METERS = (
    (1, 7, False), (1, 10, True), (2, 8, False), (2, 11, True),
    (3, 12, False), (3, 14, True), (4, 13, False), (4, 15, True),
    (5, 106, False), (6, 204, False), (7, 205, False), (8, 107, False), (9, 308, False), (9, 351, False),
)  # fmt: skip
# Outputs are the chillers' and boilers' own meters: the plant headers (4, 5) are masters, not counted.
COMBINED_EQUIPMENT_METERS = ((1, 9, False), (1, 10, True), (1, 11, True), (2, 14, True), (2, 15, True))
COMBINED_EQUIPMENT_MEMBERS = ((1, 1), (1, 2), (2, 3), (2, 4))
SPACE_EQUIPMENTS = ((CAMPUS, 10), (OFFICE, 5), (OFFICE, 8), (LAB, 6), (31, 9))
SPACE_TENANTS = ((12, 1), (13, 2), (31, 3), (36, 4))
SPACE_STORES = ((31, 1), (11, 2), (21, 3))
CALENDAR_SPACES = (CAMPUS, OFFICE, LAB, HOTEL)


def _grouped(table: str, columns: str, groups: Mapping[int, tuple[int, ...]]) -> Link:
    return _link(table, columns, (pair for left, rights in groups.items() for pair in _pairs(left, rights)))


def _sensor_links() -> tuple[Link, Link]:
    sensor_ids = {s.name: s.id for s in SENSORS}
    located = [(s.space_id, sensor_ids[s.sensor], s.id) for s in ANALOG_POINTS if s.sensor and s.space_id]
    return (
        _link('tbl_spaces_sensors', 'space_id sensor_id', ((space, sensor) for space, sensor, _ in located)),
        _link('tbl_sensors_points', 'sensor_id point_id', ((sensor, point) for _, sensor, point in located)),
    )


def build_links() -> tuple[Link, ...]:
    signals = ANALOG_POINTS + DIGITAL_POINTS
    tariff_pairs = ((c.id, t[0]) for c in COST_CENTERS for t in TARIFF_PLAN)
    virtual = ((OFFICE, 1), (LAB, 2), (HOTEL, 3), (CAMPUS, 4))
    return (
        _link('tbl_meters_points', 'meter_id point_id', ((m.id, m.id) for m in METERS)),
        _grouped('tbl_spaces_meters', 'space_id meter_id', SPACE_METERS),
        _link('tbl_spaces_virtual_meters', 'space_id virtual_meter_id', virtual),
        _link('tbl_spaces_offline_meters', 'space_id offline_meter_id', ((CAMPUS, 2),)),
        _link('tbl_spaces_equipments', 'space_id equipment_id', SPACE_EQUIPMENTS),
        _link('tbl_spaces_combined_equipments', 'space_id combined_equipment_id', ((CAMPUS, 1), (CAMPUS, 2))),
        _link('tbl_spaces_tenants', 'space_id tenant_id', SPACE_TENANTS),
        _link('tbl_spaces_stores', 'space_id store_id', SPACE_STORES),
        _link('tbl_spaces_shopfloors', 'space_id shopfloor_id', ((21, 1),)),
        _link('tbl_spaces_points', 'space_id point_id', ((s.space_id, s.id) for s in signals if s.space_id)),
        *_sensor_links(),
        _link('tbl_spaces_working_calendars', 'space_id working_calendar_id', ((s, 1) for s in CALENDAR_SPACES)),
        _link('tbl_equipments_meters', 'equipment_id meter_id is_output', EQUIPMENT_METERS),
        _link('tbl_equipments_offline_meters', 'equipment_id offline_meter_id is_output', ((10, 1, False),)),
        _link('tbl_combined_equipments_meters', 'combined_equipment_id meter_id is_output', COMBINED_EQUIPMENT_METERS),
        _link('tbl_combined_equipments_equipments', 'combined_equipment_id equipment_id', COMBINED_EQUIPMENT_MEMBERS),
        _grouped('tbl_tenants_meters', 'tenant_id meter_id', TENANT_METERS),
        _link('tbl_tenants_working_calendars', 'tenant_id working_calendar_id', ((t.id, 1) for t in TENANTS)),
        _grouped('tbl_stores_meters', 'store_id meter_id', STORE_METERS),
        _link('tbl_stores_working_calendars', 'store_id working_calendar_id', ((s.id, 1) for s in STORES)),
        _grouped('tbl_shopfloors_meters', 'shopfloor_id meter_id', SHOPFLOOR_METERS),
        _link('tbl_shopfloors_equipments', 'shopfloor_id equipment_id', ((1, 7),)),
        _link('tbl_shopfloors_working_calendars', 'shopfloor_id working_calendar_id', ((1, 1),)),
        _link('tbl_cost_centers_tariffs', 'cost_center_id tariff_id', tariff_pairs),
    )


# ------------------------------------------------------------------------------------------- assembly
PRIVILEGES = (Privilege(1, 'Office Building (read only)', json.dumps({'spaces': [OFFICE]})),)
USERS = (
    DemoUser(1, 'administrator', 'Administrator', 'administrator@lindenhof.example', True, False, None),
    DemoUser(2, 'viewer', 'Office Viewer', 'viewer@lindenhof.example', False, True, 1),
)


def build_tariffs(to_utc: Callable[[datetime], datetime]) -> tuple[tuple[Tariff, ...], tuple[TimeOfUse, ...]]:
    """Tariffs and their time-of-use rows; `to_utc(local_naive)` converts the validity bounds."""
    valid_from, valid_through = to_utc(TARIFF_VALID_FROM_LOCAL), to_utc(TARIFF_VALID_THROUGH_LOCAL)
    tariffs: list[Tariff] = []
    rows: list[TimeOfUse] = []
    for tariff_id, category, name, unit, periods in TARIFF_PLAN:
        tariffs.append(Tariff(tariff_id, name, category, unit, valid_from, valid_through))
        for start, end, peak, price in periods:
            rows.append(TimeOfUse(len(rows) + 1, tariff_id, start, end, peak, D(price)))
    return tuple(tariffs), tuple(rows)


def build_calendar_days(year: int) -> tuple[NonWorkingDay, ...]:
    """Berlin public holidays of the two years before `year`, `year` itself and the next one."""
    return tuple(NonWorkingDay(1, day, name) for y in range(year - 2, year + 2) for day, name in berlin_holidays(y))


@dataclass(frozen=True)
class Campus:
    """Everything load.py writes, in dependency order."""

    rows: tuple[tuple[Row, ...], ...]
    links: tuple[Link, ...]
    users: tuple[DemoUser, ...]


def build_campus(
    timezone_id: int, year: int, to_utc: Callable[[datetime], datetime], mqtt: tuple[str, int] = ('127.0.0.1', 1883)
) -> Campus:
    """The whole demo. `timezone_id` is tbl_timezones.id of Europe/Berlin; `year` anchors the holidays."""
    tariffs, timeofuses = build_tariffs(to_utc)
    return Campus(
        rows=(
            ENERGY_CATEGORIES, ENERGY_ITEMS, COST_CENTERS, tariffs, timeofuses, CONTACTS,
            WORKING_CALENDARS, build_calendar_days(year), build_spaces(timezone_id),
            DATA_SOURCES + (mqtt_data_source(*mqtt),), build_points(), SENSORS, METERS,
            VIRTUAL_METERS, VARIABLES, OFFLINE_METERS, EQUIPMENTS, COMBINED_EQUIPMENTS,
            TENANT_TYPES, TENANTS, STORE_TYPES, STORES, SHOPFLOORS, PRIVILEGES,
        ),
        links=build_links(),
        users=USERS,
    )  # fmt: skip
