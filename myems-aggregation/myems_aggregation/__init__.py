"""EMS service: aggregation of energy, billing and carbon."""
