"""EMS service: Modbus TCP acquisition."""
