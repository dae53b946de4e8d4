"""A job's states, once: queued -> running -> done | failed | cancelled.

Kept apart from ``worker.jobs`` (which imports the library) so the CLI can name
states without importing the database layer.
"""

from __future__ import annotations

from enum import Enum


class JobState(str, Enum):
    """A job's state; the value is what the ``jobs.state`` column stores (a plain string compares equal to it)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value

    @property
    def active(self) -> bool:
        """Still to run or running: it can be cancelled, and asking for the same analysis again reuses it."""
        return self in ACTIVE_STATES

    @property
    def finished(self) -> bool:
        return self in FINISHED_STATES

    @property
    def retryable(self) -> bool:
        return self in (JobState.FAILED, JobState.CANCELLED)


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)
FINISHED_STATES = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)
STATES = tuple(JobState)
