"""EMS service: the REST API (Falcon, served by gunicorn)."""
