"""Entry point: python -m myems_normalization.

Slot energy of meters from their cleaned counter readings (myems_normalization.meters). The slot length
is MINUTES_TO_COUNT (60; 15 and 30 also work). NORMALIZATION_INTERVAL_SECONDS (60) is the pause after a
pass that found nothing to do.
"""

from __future__ import annotations

import os
import sys

from myems_common.config import Settings
from myems_common.pipeline import Step
from myems_common.service import run_service
from myems_normalization.meters import MeterEnergy


def steps(settings: Settings) -> list[Step]:
    return [MeterEnergy(settings.minutes_to_count)]


def main() -> int:
    interval = float(os.environ.get('NORMALIZATION_INTERVAL_SECONDS', '60'))
    return run_service('myems_normalization', steps, interval)


if __name__ == '__main__':
    sys.exit(main())
