"""Queue test helpers: distinct generated songs in the library, the test backend, real consumer processes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from moss_music.analysis import register_backend
from moss_music.analysis.registry import _REGISTRY
from moss_music.processes import pid_alive as process_alive  # noqa: F401 - for the tests
from tests.audio_fixtures import write_song
from tests.worker.rms_backend import BACKEND_NAME, ENV_VALUE, TARGET
from worker.settings import EXTRA_BACKENDS_ENV


@pytest.fixture
def rms_backend(monkeypatch) -> Iterator[str]:
    """The test analyzer, known here and (through the environment) in consumer subprocesses.

    Unregistered afterwards: a later test in the same process (the desktop's backend menus) sees only the
    real backends.
    """
    previous = _REGISTRY.get(BACKEND_NAME)
    register_backend(BACKEND_NAME, TARGET)
    monkeypatch.setenv(EXTRA_BACKENDS_ENV, ENV_VALUE)
    yield BACKEND_NAME
    if previous is None:
        _REGISTRY.pop(BACKEND_NAME, None)
    else:
        _REGISTRY[BACKEND_NAME] = previous


@pytest.fixture
def make_tracks(tmp_path, library) -> Callable[..., list[int]]:
    """Write ``n`` different songs (different tempo, so different content hashes) and add them to the library."""
    made = [0]

    def make(n: int, seconds: float = 2.0, suffix: str = ".wav") -> list[int]:
        ids = []
        for _ in range(n):
            index = made[0]
            made[0] += 1
            path = write_song(tmp_path / "songs" / f"song{index:03d}{suffix}", seconds=seconds, bpm=90 + index)
            ids.append(library.add_file(path).id)
        return ids

    return make


@pytest.fixture
def launchers(data_dir):
    """Start consumers with ``launchers(lanes, cpu_workers)``; all are stopped after the test."""
    from worker.launcher import ConsumerLauncher

    started: list[ConsumerLauncher] = []

    def start(lanes=("cpu",), cpu_workers: int = 1, warm_up: bool = False) -> ConsumerLauncher:
        launcher = ConsumerLauncher(data_dir, lanes, cpu_workers, warm_up=warm_up)
        launcher.start()
        started.append(launcher)
        return launcher

    yield start
    for launcher in started:
        launcher.stop(timeout=10)


def wait_for(predicate: Callable[[], object], timeout: float = 60.0, interval: float = 0.05, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what or predicate}")


def consumer_log(data_dir) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace")
                     for path in sorted(data_dir.logs_dir.glob("*.log")) if path.is_file())

