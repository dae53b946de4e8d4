"""The worker's part of the ``moss-music`` command: ``worker``, ``jobs`` and ``analyze --queue``.

Registered through the ``moss_music.commands`` entry point (see pyproject.toml), so the
core CLI in ``moss_music.cli`` never imports the worker: it only loads what is installed.
"""

from __future__ import annotations

from worker.commands import analyze_queue, jobs_cmd, worker_cmd


def register(subparsers, common) -> None:
    worker_cmd.register(subparsers, common)
    jobs_cmd.register(subparsers, common)
    analyze_queue.register(subparsers, common)
