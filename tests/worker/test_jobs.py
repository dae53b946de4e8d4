"""Job lifecycle, in this process: a real SQLite queue and library, tasks dequeued and executed as a consumer does."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from moss_music.library.schema import Analysis, Job, utcnow
from tests.worker.conftest import wait_for
from worker import client, jobs, slots, tasks
from worker.app import lane_queue
from worker.heartbeat import Heartbeat, recover_stale_jobs, redispatch_lost_jobs
from worker.runner import JobRunner


@pytest.fixture
def slot(data_dir):
    slot = slots.ConsumerSlot.acquire(data_dir, "cpu")
    yield slot
    slot.release()


@pytest.fixture
def runner(library, data_dir, slot, rms_backend):
    runner = JobRunner(library, lane_queue(data_dir, "cpu"), data_dir, slot.worker_id)
    tasks.set_runner(runner)
    yield runner
    tasks.set_runner(None)


@pytest.fixture
def heartbeat(runner, slot):
    """The consumer's heartbeat thread: it writes progress and reads cancel flags for running jobs."""
    beat = Heartbeat(runner, slot)
    beat.start()
    yield beat
    beat.stop()


def drain(runner: JobRunner) -> int:
    """Execute every task in the lane's queue, as a consumer's worker loop would; returns how many."""
    huey = runner.queue.huey
    count = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        count += 1
    return count


def job(library, job_id: int) -> Job:
    return client.get_job(library, job_id)


def analysis_count(library) -> int:
    with library.session() as session:
        return session.scalar(select(func.count(Analysis.id)))


def test_enqueue_creates_one_queued_job_per_track_each_with_its_queue_task(library, data_dir, make_tracks,
                                                                          rms_backend):
    track_ids = make_tracks(3)
    ids = client.enqueue_analysis(library, track_ids, backend=rms_backend, tasks=["loudness"])
    rows = [job(library, i) for i in ids]
    assert [r.track_id for r in rows] == track_ids
    assert {r.state for r in rows} == {"queued"}
    assert {r.lane for r in rows} == {"cpu"}
    assert json.loads(rows[0].tasks_json) == ["loudness"]
    assert lane_queue(data_dir, "cpu").pending_task_ids() == {r.huey_task_id for r in rows}


def test_enqueueing_a_track_that_is_not_in_the_library_queues_nothing(library, make_tracks, rms_backend):
    from moss_music.library import TrackNotFound

    [track_id] = make_tracks(1)
    with pytest.raises(TrackNotFound, match="no track 4242 in the library"):
        client.enqueue_analysis(library, [track_id, 4242], backend=rms_backend)
    assert client.list_jobs(library) == []


def test_asking_again_while_queued_reuses_the_job(library, make_tracks, rms_backend):
    track_ids = make_tracks(2)
    first = client.enqueue_analysis(library, track_ids, backend=rms_backend)
    again = client.enqueue_analysis(library, track_ids[::-1], backend=rms_backend)
    assert again == first[::-1]
    assert len(client.list_jobs(library)) == 2


def test_job_runs_to_done_with_all_results_in_one_stored_analysis(library, runner, make_tracks, rms_backend):
    [track_id] = make_tracks(1)
    [job_id] = client.enqueue_analysis(library, [track_id], backend=rms_backend)
    assert drain(runner) == 1
    done = job(library, job_id)
    assert (done.state, done.progress, done.attempts, done.error) == ("done", 1.0, 1, None)
    assert done.started_at and done.finished_at and done.analysis_id
    annotations = library.machine_annotations(track_id)
    assert annotations.loudness is not None and annotations.loudness.integrated_lufs < 0
    assert len(annotations.energy.values) == 4
    assert analysis_count(library) == 1


def test_the_same_question_again_is_answered_from_the_stored_result(library, runner, make_tracks, rms_backend):
    [track_id] = make_tracks(1)
    [first] = client.enqueue_analysis(library, [track_id], backend=rms_backend)
    drain(runner)
    [second] = client.enqueue_analysis(library, [track_id], backend=rms_backend)
    drain(runner)
    assert second != first
    assert job(library, second).stage == "done (stored result)"
    assert job(library, second).analysis_id == job(library, first).analysis_id
    assert analysis_count(library) == 1


def test_forced_job_computes_again_and_replaces_the_stored_result(library, runner, make_tracks, rms_backend):
    [track_id] = make_tracks(1)
    [first] = client.enqueue_analysis(library, [track_id], backend=rms_backend)
    drain(runner)
    [forced] = client.enqueue_analysis(library, [track_id], backend=rms_backend, force=True)
    drain(runner)
    assert job(library, forced).stage == "done"
    assert job(library, forced).analysis_id != job(library, first).analysis_id
    assert analysis_count(library) == 1


def test_different_params_are_a_different_question(library, runner, make_tracks, rms_backend):
    [track_id] = make_tracks(1)
    client.enqueue_analysis(library, [track_id], backend=rms_backend, params={"steps": 4})
    client.enqueue_analysis(library, [track_id], backend=rms_backend, params={"steps": 8})
    drain(runner)
    assert analysis_count(library) == 2


def test_a_file_that_no_longer_decodes_fails_only_its_own_job(library, runner, make_tracks, rms_backend):
    track_ids = make_tracks(3)
    broken = library.get_track(track_ids[1])
    ids = client.enqueue_analysis(library, track_ids, backend=rms_backend)
    with open(broken.path, "r+b") as handle:  # damaged after the scan: the library still thinks it is fine
        handle.seek(0)
        handle.write(b"\0" * 64)
    drain(runner)
    states = [job(library, i).state for i in ids]
    assert states == ["done", "failed", "done"]
    error = job(library, ids[1]).error
    assert error.startswith(f"cannot read the audio file {broken.path}")
    assert library.machine_annotations(track_ids[1]).loudness is None
    assert analysis_count(library) == 2


def test_a_track_the_scan_found_unreadable_fails_with_the_scan_reason(library, runner, tmp_path, rms_backend):
    from tests.audio_fixtures import write_corrupt_files

    corrupt = write_corrupt_files(tmp_path / "bad")["not_audio"]
    track = library.add_file(corrupt)
    [job_id] = client.enqueue_analysis(library, [track.id], backend=rms_backend)
    drain(runner)
    failed = job(library, job_id)
    assert failed.state == "failed"
    assert failed.error.startswith(f"cannot analyse {track.path}: ") and track.error in failed.error


def test_gpu_out_of_memory_fails_that_job_with_a_clear_message_and_later_jobs_still_run(library, runner,
                                                                                       make_tracks, rms_backend):
    track_ids = make_tracks(2)
    [oom_job] = client.enqueue_analysis(library, track_ids[:1], backend=rms_backend, params={"oom": True})
    [next_job] = client.enqueue_analysis(library, track_ids[1:], backend=rms_backend)
    drain(runner)
    failed = job(library, oom_job)
    assert failed.state == "failed"
    assert "GPU ran out of memory" in failed.error and "quantization" in failed.error
    assert job(library, next_job).state == "done"


def test_gpu_out_of_memory_retries_with_the_lighter_setting_the_backend_offers(library, runner, make_tracks,
                                                                              rms_backend):
    [track_id] = make_tracks(1)
    [job_id] = client.enqueue_analysis(library, [track_id], backend=rms_backend,
                                       params={"oom": True, "allow_fallback": True})
    drain(runner)
    done = job(library, job_id)
    assert done.state == "done"
    assert "lighter settings after GPU out of memory" in done.stage


def test_a_backend_that_cannot_start_fails_the_job_with_its_reason(library, runner, make_tracks, rms_backend):
    [track_id] = make_tracks(1)
    [job_id] = client.enqueue_analysis(library, [track_id], backend=rms_backend, options={"broken": True})
    drain(runner)
    assert job(library, job_id).error == "cannot start the test-rms backend: no model folder configured"


def test_cancelling_a_queued_job_revokes_it_and_it_never_runs(library, runner, make_tracks, rms_backend):
    track_ids = make_tracks(2)
    ids = client.enqueue_analysis(library, track_ids, backend=rms_backend)
    assert client.cancel_job(library, ids[0]) == "cancelled"
    huey = runner.queue.huey
    assert huey.is_revoked(job(library, ids[0]).huey_task_id)
    drain(runner)
    cancelled = job(library, ids[0])
    assert (cancelled.state, cancelled.attempts, cancelled.analysis_id) == ("cancelled", 0, None)
    assert job(library, ids[1]).state == "done"
    assert library.machine_annotations(track_ids[0]).loudness is None


def run_in_thread(runner: JobRunner, library, job_id: int) -> threading.Thread:
    thread = threading.Thread(target=runner.run, args=(job_id, job(library, job_id).huey_task_id))
    thread.start()
    wait_for(lambda: job(library, job_id).progress > 0, timeout=20, what="the job to make progress")
    return thread


def test_cancelling_a_running_job_stops_it_at_its_next_step_and_keeps_nothing(library, runner, heartbeat,
                                                                             make_tracks, rms_backend):
    [track_id] = make_tracks(1)
    [job_id] = client.enqueue_analysis(library, [track_id], backend=rms_backend,
                                       params={"steps": 50, "step_s": 0.1})
    thread = run_in_thread(runner, library, job_id)
    assert client.cancel_job(library, job_id) == "running"
    thread.join(timeout=2)  # the flag is read twice a second; the analyzer checks it every step
    assert not thread.is_alive()
    cancelled = job(library, job_id)
    assert cancelled.state == "cancelled" and cancelled.progress < 1
    assert analysis_count(library) == 0


def test_a_stopping_worker_puts_its_running_job_back_in_the_queue(library, runner, heartbeat, make_tracks,
                                                                  rms_backend):
    [track_id] = make_tracks(1)
    [job_id] = client.enqueue_analysis(library, [track_id], backend=rms_backend,
                                       params={"steps": 50, "step_s": 0.1})
    old_task = job(library, job_id).huey_task_id
    thread = run_in_thread(runner, library, job_id)
    runner.stopping.set()
    thread.join(timeout=5)
    back = job(library, job_id)
    assert (back.state, back.worker_id, back.attempts) == ("queued", None, 0)
    assert back.huey_task_id != old_task
    assert back.huey_task_id in runner.queue.pending_task_ids()
    runner.stopping.clear()
    with library.write() as session:  # no need to wait 5 s for the rerun
        session.execute(update(Job).where(Job.id == job_id).values(params_json='{"steps": 4}'))
    drain(runner)  # the task it ran under is stale now: only the new one runs it
    assert (job(library, job_id).state, job(library, job_id).attempts) == ("done", 1)


def test_a_task_taken_while_the_worker_stops_goes_back_to_the_queue(library, runner, make_tracks, rms_backend):
    [job_id] = client.enqueue_analysis(library, make_tracks(1), backend=rms_backend)
    runner.stopping.set()
    huey = runner.queue.huey
    huey.execute(huey.dequeue())  # a consumer's worker stops taking tasks; this one was taken just before
    back = job(library, job_id)
    assert (back.state, back.attempts) == ("queued", 0)
    assert runner.queue.pending_task_ids() == {back.huey_task_id}
    runner.stopping.clear()
    drain(runner)
    assert job(library, job_id).state == "done"


def test_retry_queues_a_failed_job_again_under_the_same_id(library, runner, make_tracks, rms_backend):
    [track_id] = make_tracks(1)
    [job_id] = client.enqueue_analysis(library, [track_id], backend=rms_backend, options={"broken": True})
    drain(runner)
    assert job(library, job_id).state == "failed"
    with library.write() as session:  # the user fixed the setting
        session.execute(update(Job).where(Job.id == job_id).values(options_json="{}"))
    assert client.retry_job(library, job_id) == job_id
    assert (job(library, job_id).state, job(library, job_id).error) == ("queued", None)
    drain(runner)
    assert (job(library, job_id).state, job(library, job_id).attempts) == ("done", 2)


def test_retry_refuses_a_job_that_is_still_queued(library, make_tracks, rms_backend):
    [job_id] = client.enqueue_analysis(library, make_tracks(1), backend=rms_backend)
    with pytest.raises(client.JobStateError, match="only failed or cancelled"):
        client.retry_job(library, job_id)
    with pytest.raises(client.JobNotFound):
        client.cancel_job(library, 9999)


def test_a_track_the_user_opens_jumps_the_queue(library, runner, make_tracks, rms_backend):
    track_ids = make_tracks(4)
    ids = client.enqueue_analysis(library, track_ids, backend=rms_backend)
    assert client.bump_priority(library, track_ids[2]) == [ids[2]]
    assert [j.id for j in client.list_jobs(library)][0] == ids[2]
    first = runner.queue.huey.dequeue()
    assert first.args == (ids[2],)
    runner.queue.huey.execute(first)
    assert job(library, ids[2]).state == "done"
    assert drain(runner) == 4  # three jobs, plus the bumped job's old task: revoked, so skipped
    assert [job(library, i).attempts for i in ids] == [1, 1, 1, 1]


def test_a_task_that_is_no_longer_the_jobs_current_task_claims_nothing(library, make_tracks, rms_backend):
    [job_id] = client.enqueue_analysis(library, make_tracks(1), backend=rms_backend)
    assert not jobs.claim(library, job_id, "some-older-task", "me")
    assert jobs.claim(library, job_id, job(library, job_id).huey_task_id, "me")
    assert not jobs.claim(library, job_id, job(library, job_id).huey_task_id, "someone-else")


def make_running(library, job_id: int, worker_id: str, heartbeat_age_s: float = 0.0) -> None:
    with library.write() as session:
        session.execute(update(Job).where(Job.id == job_id).values(
            state="running", worker_id=worker_id, attempts=Job.attempts + 1,
            heartbeat_at=utcnow() - timedelta(seconds=heartbeat_age_s)))


def test_jobs_of_a_dead_local_worker_are_requeued_at_once(library, runner, make_tracks, rms_backend):
    ids = client.enqueue_analysis(library, make_tracks(2), backend=rms_backend)
    dead = f"{slots.HOST}/cpu-7/99999/deadbeef"
    make_running(library, ids[0], dead)
    make_running(library, ids[1], runner.worker_id)
    assert recover_stale_jobs(runner) == [ids[0]]
    assert job(library, ids[0]).state == "queued"
    assert job(library, ids[1]).state == "running"


def test_a_remote_worker_keeps_its_jobs_while_its_lease_is_fresh(library, runner, make_tracks, rms_backend):
    ids = client.enqueue_analysis(library, make_tracks(2), backend=rms_backend)
    make_running(library, ids[0], "other-host/cpu-1/42/cafe", heartbeat_age_s=1)
    make_running(library, ids[1], "other-host/cpu-2/43/cafe", heartbeat_age_s=120)
    assert recover_stale_jobs(runner, lease=timedelta(seconds=30)) == [ids[1]]


def test_a_job_that_keeps_killing_its_worker_is_failed_not_requeued_forever(library, runner, make_tracks,
                                                                           rms_backend):
    [job_id] = client.enqueue_analysis(library, make_tracks(1), backend=rms_backend)
    dead = f"{slots.HOST}/cpu-7/99999/deadbeef"
    for _ in range(jobs.MAX_CRASHES):
        make_running(library, job_id, dead)
        recover_stale_jobs(runner)
    failed = job(library, job_id)
    assert failed.state == "failed" and "stopped unexpectedly 3 times" in failed.error


def test_a_queued_job_whose_task_got_lost_is_dispatched_again(library, runner, make_tracks, rms_backend):
    [job_id] = client.enqueue_analysis(library, make_tracks(1), backend=rms_backend)
    runner.queue.huey.flush()  # the queue lost its task (e.g. the queue file was deleted)
    assert redispatch_lost_jobs(runner, older_than=utcnow() + timedelta(seconds=1)) == [job_id]
    drain(runner)
    assert job(library, job_id).state == "done"


def test_pause_and_resume_are_one_switch_for_every_consumer(data_dir):
    assert not client.is_paused(data_dir)
    client.pause_queue(data_dir)
    assert client.is_paused(data_dir) and client.is_paused()  # the default data dir is this one here
    client.resume_queue(data_dir)
    assert not client.is_paused(data_dir)


def test_clearing_finished_jobs_keeps_queued_jobs_and_all_results(library, runner, make_tracks, rms_backend):
    track_ids = make_tracks(2)
    [done_job] = client.enqueue_analysis(library, track_ids[:1], backend=rms_backend)
    drain(runner)
    [queued_job] = client.enqueue_analysis(library, track_ids[1:], backend=rms_backend)
    assert client.clear_finished(library) == 1
    assert [j.id for j in client.list_jobs(library)] == [queued_job]
    assert done_job not in [j.id for j in client.list_jobs(library)]
    assert library.machine_annotations(track_ids[0]).loudness is not None


def test_jobs_are_listed_running_then_queued_in_run_order_then_newest_finished(library, make_tracks, rms_backend):
    ids = client.enqueue_analysis(library, make_tracks(5), backend=rms_backend)
    with library.write() as session:
        session.execute(update(Job).where(Job.id.in_(ids[:2])).values(state="done"))
        session.execute(update(Job).where(Job.id == ids[4]).values(state="running"))
        session.execute(update(Job).where(Job.id == ids[3]).values(priority=5))
    assert [j.id for j in client.list_jobs(library)] == [ids[4], ids[3], ids[2], ids[1], ids[0]]
    assert [j.id for j in client.list_jobs(library, states=["done"], limit=1)] == [ids[1]]
    assert jobs.to_dict(job(library, ids[4]))["state"] == "running"
