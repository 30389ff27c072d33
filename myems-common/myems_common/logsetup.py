"""Logging set-up shared by every service: one line per record on stderr, level from LOG_LEVEL."""

from __future__ import annotations

import logging
import sys

FORMAT = '%(asctime)s %(levelname)s %(name)s: %(message)s'


def setup_logging(level: str = 'INFO', stream: object = None) -> None:
    """Configure the root logger once; later calls only change the level."""
    root = logging.getLogger()
    if not any(getattr(h, '_myems', False) for h in root.handlers):
        handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._myems = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level.upper())
