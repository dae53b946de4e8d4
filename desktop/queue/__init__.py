"""The analysis queue panel."""
