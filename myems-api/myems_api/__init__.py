"""EMS REST API (Falcon, served by gunicorn), keeping MyEMS's routes, headers and bodies."""

__version__ = '0.1.0'
