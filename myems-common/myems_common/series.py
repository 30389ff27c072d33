"""Series keys: (database, entity, direction, dimension) names one family of slot tables.

    SeriesKey('billing', 'store', 'input', 'item').table == 'tbl_store_input_item_hourly'

Aggregation writes through these keys and reports read through them; the hourly databases' install
SQL is generated from FAMILIES (`python -m myems_common.schema generate`), so the tables and the
code can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

# Databases whose tables share one shape: one row per entity, dimension and slot.
SLOT_DATABASES = ('energy', 'billing', 'carbon', 'energy_baseline', 'energy_plan', 'energy_prediction')
# The energy model database: the same families keyed by hour of the year (0..8759).
MODEL_DATABASE = 'energy_model'
# Databases a pipeline stage writes; they carry the progress and dirty-range tables.
PIPELINE_DATABASES = ('energy', 'billing', 'carbon')

DIMENSION_COLUMNS = {'category': 'energy_category_id', 'item': 'energy_item_id'}


@dataclass(frozen=True)
class Family:
    """One kind of slot table: entity, direction (or measure) and dimension."""

    entity: str
    direction: str | None = None
    dimension: str | None = None

    @property
    def stem(self) -> str:
        return '_'.join(p for p in ('tbl', self.entity, self.direction, self.dimension) if p)


_METER_LIKE = ('meter', 'virtual_meter', 'offline_meter')
_HIERARCHY_IO = ('space', 'equipment', 'combined_equipment')
_HIERARCHY_INPUT = ('tenant', 'store', 'shopfloor')
_ADVANCED = {
    'microgrid': ('charge', 'discharge', 'grid_buy', 'grid_sell', 'photovoltaic', 'evcharger', 'load'),
    'energy_storage_container': ('charge', 'discharge', 'grid_buy', 'grid_sell'),
    'energy_storage_power_station': ('charge', 'discharge', 'grid_buy', 'grid_sell'),
    'photovoltaic_power_station': ('generation', 'grid_buy', 'grid_sell', 'load'),
}

FAMILIES: tuple[Family, ...] = (
    *(Family(e) for e in _METER_LIKE),
    *(
        Family(e, d, m)
        for e in _HIERARCHY_IO
        for d, m in (('input', 'category'), ('input', 'item'), ('output', 'category'))
    ),
    *(Family(e, 'input', m) for e in _HIERARCHY_INPUT for m in ('category', 'item')),
    *(Family(e, measure) for e, measures in _ADVANCED.items() for measure in measures),
)


@dataclass(frozen=True)
class SeriesKey:
    """A family of slot tables in one database."""

    database: str
    entity: str
    direction: str | None = None
    dimension: str | None = None

    def __post_init__(self) -> None:
        if self.database not in (*SLOT_DATABASES, MODEL_DATABASE):
            raise ValueError(f'{self.database!r} holds no slot tables')
        if self.family not in FAMILIES:
            raise ValueError(f'no slot table family {self.family.stem!r}')

    @property
    def family(self) -> Family:
        return Family(self.entity, self.direction, self.dimension)

    @property
    def table(self) -> str:
        suffix = '_8760' if self.database == MODEL_DATABASE else '_hourly'
        return self.family.stem + suffix

    @property
    def entity_column(self) -> str:
        return f'{self.entity}_id'

    @property
    def dimension_column(self) -> str | None:
        return DIMENSION_COLUMNS.get(self.dimension or '')

    @property
    def time_column(self) -> str:
        return 'hour_of_year' if self.database == MODEL_DATABASE else 'start_datetime_utc'

    @property
    def has_estimates(self) -> bool:
        """Meter-like energy slots say whether they were measured or estimated (spread over a gap)."""
        return self.database == 'energy' and self.entity in _METER_LIKE

    @property
    def key_columns(self) -> tuple[str, ...]:
        dimension = self.dimension_column
        return (self.entity_column, *((dimension,) if dimension else ()), self.time_column)


def all_series() -> list[SeriesKey]:
    """Every slot table of every database."""
    return [
        SeriesKey(db, f.entity, f.direction, f.dimension) for db in (*SLOT_DATABASES, MODEL_DATABASE) for f in FAMILIES
    ]
