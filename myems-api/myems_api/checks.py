"""Entity-specific checks run on a row as written, inside the write transaction.

The generic resources (crud.py) look an entity up here after writing its row and child rows; a check
reads what was written and raises ApiError to refuse it, which rolls the whole write back. Add an
entity by adding one entry: `CHECKS['name'] = function(cur, id)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from myems_api.tariffs import check_emission_factor, check_energy_category, check_tariff
from myems_api.virtualmeters import check_virtual_meter

Check = Callable[[Any, int], None]

CHECKS: dict[str, Check] = {
    'virtual_meter': check_virtual_meter,
    'tariff': check_tariff,
    'energy_category': check_energy_category,
    'emission_factor': check_emission_factor,
}
