"""EMS service: MQTT acquisition."""
