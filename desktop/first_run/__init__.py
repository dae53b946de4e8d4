"""First run: empty state, demo song, getting the model."""
