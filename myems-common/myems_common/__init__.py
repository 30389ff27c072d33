"""Shared package of the EMS services: configuration, database access, time handling, registries."""

__version__ = '0.1.0'
