"""Entry point: python -m myems_aggregation.

One runner over every aggregation step, each pass in this order:

* energy roll-ups (myems_aggregation.energy) for equipments, combined equipments, shopfloors, stores,
  tenants and spaces (children first): members before the entities counting them, so one pass reaches
  the top of the tree;
* billing (myems_aggregation.billing): slot costs of every meter-like and aggregate entity by its cost
  centre's tariffs (myems_common.tariff), unpriced slots recorded, and the income of the outputs of
  spaces, equipments and combined equipments priced the same way;
* carbon (myems_aggregation.carbon): kg CO2e by the emission factor valid at each slot.

The slot length is MINUTES_TO_COUNT (60). AGGREGATION_INTERVAL_SECONDS (60) is the pause after a pass that
found nothing to do.
"""

from __future__ import annotations

import os
import sys

from myems_aggregation.billing import billing_steps
from myems_aggregation.carbon import carbon_steps
from myems_aggregation.energy import EnergyRollup
from myems_common.config import Settings, load_settings
from myems_common.hierarchy import KINDS
from myems_common.pipeline import Step
from myems_common.service import run_service


def steps(settings: Settings) -> list[Step]:
    slot = settings.minutes_to_count
    return [EnergyRollup(kind, slot) for kind in KINDS] + billing_steps(slot) + carbon_steps(slot)


def main() -> int:
    settings = load_settings()
    interval = float(os.environ.get('AGGREGATION_INTERVAL_SECONDS', '60'))
    return run_service('myems_aggregation', steps, interval, settings=settings)


if __name__ == '__main__':
    sys.exit(main())
