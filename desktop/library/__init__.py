"""The library browser: paged table model, sidebar, filters, search."""
