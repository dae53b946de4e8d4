"""MOSS-Music Studio's PySide6 desktop app.

Widgets here never touch the database or run analysis on the UI thread: they
ask a service in ``desktop.services`` and listen for its answer.
"""
