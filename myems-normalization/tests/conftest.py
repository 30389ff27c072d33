"""Fixtures for the cleaning and normalization tests: `world` (a small metered world written straight into
SQL) lives in the root conftest.py, shared with the aggregation tests."""
