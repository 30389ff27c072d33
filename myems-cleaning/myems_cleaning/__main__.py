"""Entry point: python -m myems_cleaning.

Flags energy counter readings (myems_cleaning.energy) and purges old analog and digital readings
(myems_cleaning.retention). Settings beyond the shared ones: CLEANING_RECOVERY_MINUTES (60), how long a
drop may take to come back before it counts as a reset; CLEANING_INTERVAL_SECONDS (60), the pause after
a pass that found nothing to do.
"""

from __future__ import annotations

import os
import sys

from myems_cleaning.energy import EnergyCleaning
from myems_cleaning.retention import purge
from myems_common.config import Settings, load_settings
from myems_common.counterdata import cleaning_recovery
from myems_common.db import Database
from myems_common.pipeline import Step
from myems_common.service import run_service

RETENTION_EVERY_SECONDS = 8 * 3600


def steps(settings: Settings) -> list[Step]:
    return [EnergyCleaning(settings.db('energy').database, cleaning_recovery())]


def main() -> int:
    settings = load_settings()

    def retention(db: Database) -> None:
        purge(db, settings.live_in_days)

    interval = float(os.environ.get('CLEANING_INTERVAL_SECONDS', '60'))
    return run_service('myems_cleaning', steps, interval, [(RETENTION_EVERY_SECONDS, retention)], settings=settings)


if __name__ == '__main__':
    sys.exit(main())
