"""EMS service: cleaning of raw readings."""
