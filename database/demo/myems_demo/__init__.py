"""The demo campus (configuration), its history generator and its simulated devices."""
