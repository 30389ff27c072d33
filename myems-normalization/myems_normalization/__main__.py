"""Entry point: python -m myems_normalization.

* meter slot energy from cleaned counter readings (myems_normalization.meters);
* virtual meter slots from their equations, in dependency order (myems_normalization.virtualmeters);
* virtual point readings from their expressions on a common time grid (myems_normalization.virtualpoints);
* uploaded offline meter, data repair and energy plan workbooks (status 'new'), every UPLOADS_INTERVAL_SECONDS (30).

The slot length is MINUTES_TO_COUNT (60; 15 and 30 also work). NORMALIZATION_INTERVAL_SECONDS (60) is the
pause after a pass that found nothing to do.
"""

from __future__ import annotations

import logging
import os
import sys

from myems_common.config import Settings, load_settings
from myems_common.db import Database
from myems_common.pipeline import Step
from myems_common.service import run_service
from myems_normalization.meters import MeterEnergy
from myems_normalization.offline import process_offline_meter_file
from myems_normalization.plans import process_energy_plan_file
from myems_normalization.repair import process_data_repair_file
from myems_normalization.virtualmeters import VirtualMeterEnergy
from myems_normalization.virtualpoints import VirtualPointValues

log = logging.getLogger('myems_normalization')
UPLOADS = (
    ('tbl_offline_meter_files', process_offline_meter_file),
    ('tbl_data_repair_files', process_data_repair_file),
    ('tbl_energy_plan_files', process_energy_plan_file),
)


def steps(settings: Settings) -> list[Step]:
    slot = settings.minutes_to_count
    return [VirtualPointValues(), MeterEnergy(slot), VirtualMeterEnergy(slot, settings.start_datetime_utc)]


def process_uploads(db: Database) -> int:
    """Every uploaded workbook waiting with status 'new', oldest first; the number processed."""
    done = 0
    for table, process in UPLOADS:
        for (file_id,) in db.fetch_all('historical', f"SELECT id FROM {table} WHERE status = 'new' ORDER BY id"):
            status = process(db, int(file_id))
            if status is not None:
                log.info('%s %s: %s', table, file_id, status)
                done += 1
    return done


def main() -> int:
    settings = load_settings()
    interval = float(os.environ.get('NORMALIZATION_INTERVAL_SECONDS', '60'))
    uploads = float(os.environ.get('UPLOADS_INTERVAL_SECONDS', '30'))
    return run_service('myems_normalization', steps, interval, [(uploads, process_uploads)], settings=settings)


if __name__ == '__main__':
    sys.exit(main())
