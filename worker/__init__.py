"""The job queue: Huey consumers that run analyses outside the app's process.

A job is a row in the library DB (``moss_music.library.schema.Job``); the Huey
task that runs it carries only the row's id. ``worker.client`` is what the app
and the CLI call; ``worker.launcher`` starts and stops local consumers;
``python -m worker.consumer`` is one consumer process.
"""
