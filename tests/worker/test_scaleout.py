"""Past one machine: the queue in a real Redis server, the library in a real PostgreSQL server.

Settings only (``MOSS_MUSIC_REDIS_URL``, ``MOSS_MUSIC_DB_URL``): the same client,
consumers and job lifecycle as the all-SQLite default.
"""

from __future__ import annotations

import uuid

import pytest
from huey import PriorityRedisHuey
from sqlalchemy import func, select

from moss_music.library import Library
from moss_music.library.schema import Analysis
from tests.audio_fixtures import write_song
from tests.worker.conftest import wait_for
from tests.worker.servers import (
    create_database,
    postgres_bin_dir,
    postgres_server,
    redis_server,
    redis_server_binary,
)
from worker import client
from worker.app import lane_queue
from worker.launcher import ConsumerLauncher
from worker.settings import REDIS_URL_ENV


@pytest.fixture(scope="module")
def redis_url():
    if redis_server_binary() is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    with redis_server() as url:
        yield url


@pytest.fixture(scope="module")
def postgres_base_url():
    if postgres_bin_dir() is None:
        pytest.skip("PostgreSQL server binaries are not installed (Debian package postgresql)")
    with postgres_server() as url:
        yield url


@pytest.fixture
def scaled_library(data_dir, monkeypatch, redis_url, postgres_base_url, rms_backend):
    import redis

    redis.Redis.from_url(redis_url).flushall()
    monkeypatch.setenv(REDIS_URL_ENV, redis_url)
    monkeypatch.setenv("MOSS_MUSIC_DB_URL", create_database(postgres_base_url, f"moss_{uuid.uuid4().hex[:8]}"))
    library = Library.open(data_dir)
    yield library
    library.close()


@pytest.mark.slow
def test_jobs_run_through_redis_into_a_postgresql_library(data_dir, scaled_library, tmp_path, rms_backend):
    library = scaled_library
    assert library.engine.dialect.name == "postgresql"
    queue = lane_queue(data_dir, "cpu")
    assert isinstance(queue.huey, PriorityRedisHuey)
    track_ids = [library.add_file(write_song(tmp_path / f"s{i}.wav", seconds=1.5, bpm=100 + 7 * i)).id
                 for i in range(4)]

    client.pause_queue(data_dir)
    ids = client.enqueue_analysis(library, track_ids, backend=rms_backend)
    assert queue.huey.pending_count() == 4
    assert client.cancel_job(library, ids[0]) == "cancelled"
    assert client.bump_priority(library, track_ids[3]) == [ids[3]]
    assert queue.huey.pending()[0].args == (ids[3],)  # the sorted set puts the bumped job first

    launcher = ConsumerLauncher(data_dir, ("cpu",), warm_up=False)
    launcher.start()
    try:
        assert client.is_paused(data_dir)
        client.resume_queue(data_dir)
        wait_for(lambda: all(client.get_job(library, i).state in ("done", "cancelled") for i in ids), timeout=60,
                 what="the jobs")
    finally:
        launcher.stop()
    assert [client.get_job(library, i).state for i in ids] == ["cancelled", "done", "done", "done"]
    first_started = min(ids[1:], key=lambda i: client.get_job(library, i).started_at)
    assert first_started == ids[3]
    with library.session() as session:
        assert session.scalar(select(func.count(Analysis.id))) == 3
    assert library.machine_annotations(track_ids[0]).loudness is None
    assert library.machine_annotations(track_ids[3]).loudness is not None
