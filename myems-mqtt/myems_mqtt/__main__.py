"""Entry point: python -m myems_mqtt."""

from __future__ import annotations

import logging
import sys

from myems_common.config import load_settings
from myems_common.logsetup import setup_logging

log = logging.getLogger('myems_mqtt')


def main() -> int:
    settings = load_settings()
    setup_logging(settings.log_level)
    log.error('%s is a skeleton: its issue has not been built yet', 'myems_mqtt')
    return 2


if __name__ == '__main__':
    sys.exit(main())
