"""Settings: the JSON store, the dialog, model folder checks, data dir location."""
