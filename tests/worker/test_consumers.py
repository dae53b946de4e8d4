"""The queue with real consumer processes: throughput, crash recovery, cancel, pause, consumer management."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from moss_music.library.schema import Analysis
from tests.worker.conftest import consumer_log, process_alive, wait_for
from worker import client
from worker.launcher import PACKAGE_ROOT, ConsumerLauncher
from worker.states import FINISHED_STATES


def states(library, ids) -> list[str]:
    return [client.get_job(library, job_id).state for job_id in ids]


def all_finished(library, ids) -> bool:
    return set(states(library, ids)) <= set(FINISHED_STATES)


def analyses_per_hash(library) -> dict[str, int]:
    with library.session() as session:
        rows = session.execute(select(Analysis.content_hash, func.count(Analysis.id)).group_by(Analysis.content_hash))
        return dict(rows.all())


@pytest.mark.slow
def test_twenty_dsp_jobs_on_generated_audio_complete_on_two_cpu_consumers(library, launchers, make_tracks):
    track_ids = make_tracks(20, seconds=3.0)
    launchers(("cpu",), cpu_workers=2, warm_up=True)
    ids = client.enqueue_analysis(library, track_ids, backend="dsp")
    wait_for(lambda: all_finished(library, ids), timeout=150, what="20 DSP jobs")
    assert states(library, ids) == ["done"] * 20, [client.get_job(library, i).error for i in ids]
    assert len({client.get_job(library, i).worker_id for i in ids}) == 2
    assert sorted(analyses_per_hash(library).values()) == [1] * 20
    for track_id in track_ids:  # the test song is an A minor triad with clicks
        key = library.machine_annotations(track_id, backend="dsp").key
        assert (key.tonic, key.mode) == ("A", "minor")


@pytest.mark.slow
def test_after_kill_9_of_a_consumer_a_new_one_finishes_every_job_exactly_once(data_dir, library, launchers,
                                                                            make_tracks, rms_backend):
    track_ids = make_tracks(4)
    ids = client.enqueue_analysis(library, track_ids, backend=rms_backend, params={"steps": 10, "step_s": 0.1})
    first = launchers(("cpu",))
    [pid] = first.pids()
    victim = wait_for(lambda: next((j for j in client.list_jobs(library, states=["running"]) if j.progress > 0),
                                   None), timeout=60, what="a job to be running")
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not process_alive(pid) or first.children[0].process.poll() is not None, timeout=10)
    assert client.get_job(library, victim.id).state == "running"  # nobody has noticed yet

    launchers(("cpu",))
    wait_for(lambda: all_finished(library, ids), timeout=90, what="all jobs after the restart")
    assert states(library, ids) == ["done"] * 4
    assert client.get_job(library, victim.id).attempts == 2
    assert sorted(client.get_job(library, i).attempts for i in ids if i != victim.id) == [1, 1, 1]
    assert sorted(analyses_per_hash(library).values()) == [1, 1, 1, 1]
    assert f"job {victim.id}: worker {victim.worker_id} is gone; requeued" in consumer_log(data_dir)


@pytest.mark.slow
def test_cancelling_a_running_job_stops_it_and_the_next_job_runs(library, launchers, make_tracks, rms_backend):
    track_ids = make_tracks(2)
    [long_job] = client.enqueue_analysis(library, track_ids[:1], backend=rms_backend,
                                         params={"steps": 200, "step_s": 0.1})
    [next_job] = client.enqueue_analysis(library, track_ids[1:], backend=rms_backend)
    launchers(("cpu",))
    wait_for(lambda: client.get_job(library, long_job).progress > 0, timeout=60, what="the long job to run")
    assert client.cancel_job(library, long_job) == "running"
    wait_for(lambda: client.get_job(library, long_job).state == "cancelled", timeout=5, what="the cancel")
    wait_for(lambda: client.get_job(library, next_job).state == "done", timeout=30, what="the next job")
    assert library.machine_annotations(track_ids[0]).loudness is None
    assert client.get_job(library, long_job).progress < 0.5


@pytest.mark.slow
def test_a_paused_queue_starts_nothing_until_resumed(data_dir, library, launchers, make_tracks, rms_backend):
    client.pause_queue(data_dir)
    launchers(("cpu",))
    ids = client.enqueue_analysis(library, make_tracks(2), backend=rms_backend)
    with pytest.raises(AssertionError, match="timed out"):
        wait_for(lambda: any(client.get_job(library, i).attempts for i in ids), timeout=1.5)
    assert states(library, ids) == ["queued", "queued"]
    client.resume_queue(data_dir)
    wait_for(lambda: all_finished(library, ids), timeout=30, what="the jobs after resume")
    assert states(library, ids) == ["done", "done"]


@pytest.mark.slow
def test_launcher_starts_consumers_once_and_stopping_returns_the_running_job_to_the_queue(
        data_dir, library, make_tracks, rms_backend):
    app = ConsumerLauncher(data_dir, ("cpu",), cpu_workers=1, warm_up=False)
    other = ConsumerLauncher(data_dir, ("cpu",))
    try:
        assert not app.running() and app.lane_status() == {"cpu": False}
        assert app.ensure_running() is True
        assert other.ensure_running() is False and other.running()
        [job_id] = client.enqueue_analysis(library, make_tracks(1), backend=rms_backend,
                                           params={"steps": 20, "step_s": 0.1})
        wait_for(lambda: client.get_job(library, job_id).progress > 0, timeout=60, what="the job to run")
        other.stop()  # started nothing, stops nothing
        assert app.running()
        app.stop()
        assert not app.running()
        back = client.get_job(library, job_id)
        assert (back.state, back.stage) == ("queued", "waiting (the worker was stopped)")
        assert app.ensure_running() is True
        wait_for(lambda: client.get_job(library, job_id).state == "done", timeout=60, what="the resumed job")
    finally:
        app.stop()


@pytest.mark.slow
def test_the_gpu_lane_has_one_consumer_that_runs_gpu_jobs(data_dir, library, launchers, make_tracks, rms_backend):
    launchers(("gpu",))
    second = subprocess.run([sys.executable, "-m", "worker.consumer", "--lane", "gpu", "--home", str(data_dir.root)],
                            cwd=PACKAGE_ROOT, capture_output=True, text=True, timeout=60)
    assert second.returncode == 3 and "a gpu consumer already runs" in second.stderr
    [job_id] = client.enqueue_analysis(library, make_tracks(1), backend=rms_backend, lane="gpu")
    wait_for(lambda: client.get_job(library, job_id).state == "done", timeout=60, what="the gpu job")
    assert client.get_job(library, job_id).worker_id.split("/")[1] == "gpu-1"
