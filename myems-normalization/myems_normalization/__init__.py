"""EMS service: normalization of meters, virtual meters and offline meters."""
