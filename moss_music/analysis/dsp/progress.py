"""Progress and cancel plumbing shared by every DSP step.

Cancel checks are time-based (at most every ``CHECK_INTERVAL`` seconds) so hot loops can call
``tick()`` per iteration at negligible cost and a user still waits well under half a second.
"""

from __future__ import annotations

import time

from moss_music.analysis.base import AnalysisCancelled, CancelCheck, ProgressCallback

CHECK_INTERVAL = 0.1


class Steps:
    """Maps each step's own 0..1 progress onto the whole analysis and polls for cancellation."""

    def __init__(self, progress: ProgressCallback | None, should_cancel: CancelCheck | None,
                 weights: dict[str, float]) -> None:
        self._progress = progress
        self._should_cancel = should_cancel
        total = sum(weights.values()) or 1.0
        self._spans: dict[str, tuple[float, float]] = {}
        start = 0.0
        for name, weight in weights.items():
            self._spans[name] = (start, start + weight / total)
            start += weight / total
        self._current = (0.0, 1.0)
        self._stage = ""
        self._last_check = 0.0

    def begin(self, name: str, stage: str) -> None:
        self._current = self._spans.get(name, self._current)
        self._stage = stage
        self.check()
        self.report(0.0)

    def report(self, fraction: float) -> None:
        if self._progress is not None:
            lo, hi = self._current
            self._progress(lo + (hi - lo) * min(max(fraction, 0.0), 1.0), self._stage)

    def check(self) -> None:
        """Raise AnalysisCancelled if the user asked to stop."""
        self._last_check = time.monotonic()
        if self._should_cancel is not None and self._should_cancel():
            raise AnalysisCancelled(f"cancelled during {self._stage or 'analysis'}")

    def tick(self, fraction: float | None = None) -> None:
        """Cheap per-iteration hook: checks for cancel and reports progress at most every CHECK_INTERVAL."""
        if time.monotonic() - self._last_check >= CHECK_INTERVAL:
            self.check()
            if fraction is not None:
                self.report(fraction)

    def done(self) -> None:
        if self._progress is not None:
            self._progress(1.0, "done")


def quiet() -> Steps:
    """Steps for direct calls to one estimator (tests, fusion): no reporting, no cancel."""
    return Steps(None, None, {"all": 1.0})
