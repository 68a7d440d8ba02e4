"""safetynet: shared core (settings, privacy helpers, command line)."""
