"""Consumers die with the process that started them, and a new launcher stops the ones that did not.

Real processes throughout: ``moss-music worker`` killed with SIGKILL, hung up or
terminated; a launcher in a short-lived thread of a parent that lives on (as the
desktop app starts them); a stray holding a slot for a launcher that is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.worker.conftest import process_alive, wait_for
from worker import client, slots
from worker.launcher import PACKAGE_ROOT, ConsumerLauncher
from worker.lifeline import HARD_EXIT_S, parent_alive

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")

GONE_WITHIN_S = 5.0


def consumer_pids(data_dir, count: int) -> list[int]:
    records = wait_for(lambda: (lambda found: found if len(found) >= count else None)(
        slots.live_consumers(data_dir)), timeout=60, what=f"{count} consumers")
    return sorted(record.pid for record in records)


def gone_within(pids: list[int], seconds: float) -> float:
    """Seconds until every pid has exited (fails past ``seconds``); zombies of our own children count as gone."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if not any(_running(pid) for pid in pids):
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"still running after {seconds} s: {[pid for pid in pids if _running(pid)]}")


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return process_alive(pid)


def start_worker(data_dir, cpu_workers: int = 2) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "moss_music.cli", "worker", "--home", str(data_dir.root),
                             "--cpu-workers", str(cpu_workers)], cwd=PACKAGE_ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGHUP, signal.SIGTERM], ids=["kill-9", "hup", "term"])
def test_consumers_are_gone_within_5_s_of_their_worker(data_dir, library, make_tracks, rms_backend, signum):
    worker = start_worker(data_dir)
    try:
        pids = consumer_pids(data_dir, 2)
        # One consumer is busy: a running analysis must not keep it alive either.
        [job_id] = client.enqueue_analysis(library, make_tracks(1), backend=rms_backend,
                                           params={"steps": 100, "step_s": 0.05})
        wait_for(lambda: client.get_job(library, job_id).progress > 0, timeout=60, what="the job to run")
        os.kill(worker.pid, signum)
        worker.wait(timeout=30)
        gone_within(pids, GONE_WITHIN_S)
    finally:
        if worker.poll() is None:
            worker.kill()
    # Its job is not lost: handed back by its consumer (or taken back by the next one's sweep).
    assert client.get_job(library, job_id).state in ("queued", "running")
    ConsumerLauncher(data_dir, ("cpu",)).ensure_running()
    try:
        wait_for(lambda: client.get_job(library, job_id).state == "done", timeout=90, what="the job to finish")
    finally:
        for pid in [record.pid for record in slots.live_consumers(data_dir)]:
            os.kill(pid, signal.SIGTERM)


PARENT_SCRIPT = textwrap.dedent("""
    import sys, threading, time
    from moss_music.paths import DataDir
    from worker.launcher import ConsumerLauncher

    launcher = ConsumerLauncher(DataDir.resolve(sys.argv[1]), ("cpu",), 1, warm_up=False)
    # Like the desktop app: started from a pool thread that then ends (Linux's parent-death signal fires then).
    thread = threading.Thread(target=launcher.start)
    thread.start()
    thread.join()
    print("started", flush=True)
    time.sleep(600)
""")


@pytest.mark.slow
def test_a_consumer_outlives_the_thread_that_started_it_but_not_the_process(data_dir, library):
    parent = subprocess.Popen([sys.executable, "-c", PARENT_SCRIPT, str(data_dir.root)], cwd=PACKAGE_ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "started"
        [pid] = consumer_pids(data_dir, 1)
        time.sleep(1.5)  # the launching thread is long gone: three watchdog rounds
        assert _running(pid) and len(slots.live_consumers(data_dir)) == 1
        parent.terminate()  # SIGTERM with no handler, as a desktop session ends the app
        parent.wait(timeout=10)
        gone_within([pid], GONE_WITHIN_S)
    finally:
        if parent.poll() is None:
            parent.kill()


STRAY_SCRIPT = textwrap.dedent("""
    # worker.consumer stand-in: holds a cpu slot for a launcher that is gone, and ignores SIGTERM (hung).
    import signal, sys, time
    from moss_music.paths import DataDir
    from worker import slots

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    slot = slots.ConsumerSlot.acquire(DataDir.resolve(sys.argv[1]), "cpu", parent_pid=int(sys.argv[2]))
    print("holding", slot.name, flush=True)
    while True:
        slot.touch()
        time.sleep(0.2)
""")


@pytest.mark.slow
def test_a_new_launcher_stops_a_stray_consumer_and_starts_its_own(data_dir, library, make_tracks, rms_backend):
    gone = subprocess.Popen(["true"])
    gone.wait()
    stray = subprocess.Popen([sys.executable, "-c", STRAY_SCRIPT, str(data_dir.root), str(gone.pid)],
                             cwd=PACKAGE_ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert stray.stdout.readline().startswith("holding cpu-1")
        assert [record.pid for record in slots.stray_consumers(data_dir)] == [stray.pid]
        launcher = ConsumerLauncher(data_dir, ("cpu",), 1, warm_up=False)
        assert launcher.ensure_running() is True  # the stray no longer counts as serving the lane
        try:
            assert stray.wait(timeout=10) == -signal.SIGKILL  # it ignored SIGTERM
            [job_id] = client.enqueue_analysis(library, make_tracks(1), backend=rms_backend)
            wait_for(lambda: client.get_job(library, job_id).state == "done", timeout=60, what="the job")
            assert slots.stray_consumers(data_dir) == []  # its own consumers have a live parent
        finally:
            launcher.stop()
    finally:
        if stray.poll() is None:
            stray.kill()


def test_parent_alive_follows_the_real_parent():
    assert parent_alive(os.getppid())
    assert not parent_alive(os.getpid())


WATCHED_SCRIPT = textwrap.dedent("""
    # The watchdog alone (no parent-death signal armed): stop() must be asked within a poll or two.
    import os, sys, time
    from worker.lifeline import Lifeline

    def stop():
        os.write(int(sys.argv[1]), b"stop asked\\n")
        os._exit(0)

    Lifeline(os.getppid(), stop, poll_s=0.1).start()
    time.sleep(60)
""")
MIDDLE_SCRIPT = textwrap.dedent("""
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]], pass_fds=[int(sys.argv[2])])
    print(child.pid, flush=True)
    time.sleep(60)
""")


def test_the_watchdog_alone_notices_a_parent_killed_with_sigkill():
    read_end, write_end = os.pipe()
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE_SCRIPT, WATCHED_SCRIPT, str(write_end)],
                              cwd=PACKAGE_ROOT, stdout=subprocess.PIPE, text=True, pass_fds=[write_end])
    os.close(write_end)
    try:
        child_pid = int(middle.stdout.readline())
        time.sleep(0.5)
        assert _running(child_pid)
        middle.kill()
        middle.wait()
        with os.fdopen(read_end, "rb") as reader:
            assert reader.readline() == b"stop asked\n"
        gone_within([child_pid], 2.0)
    finally:
        if middle.poll() is None:
            middle.kill()


@pytest.mark.slow
def test_a_consumer_stuck_in_a_long_step_still_goes_and_hands_its_job_back(data_dir, library, make_tracks,
                                                                           rms_backend):
    worker = start_worker(data_dir, cpu_workers=1)
    try:
        [pid] = consumer_pids(data_dir, 1)
        # Each step sleeps 20 s without looking at the cancel flag: the graceful stop cannot finish in time.
        [job_id] = client.enqueue_analysis(library, make_tracks(1), backend=rms_backend,
                                           params={"steps": 2, "step_s": 20})
        wait_for(lambda: client.get_job(library, job_id).state == "running", timeout=60, what="the job to run")
        time.sleep(2.0)  # decoded, now inside the first step's sleep
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        took = gone_within([pid], GONE_WITHIN_S)
        assert took >= HARD_EXIT_S - 0.5  # it did wait for the graceful stop first
    finally:
        if worker.poll() is None:
            worker.kill()
    back = client.get_job(library, job_id)
    assert (back.state, back.stage, back.worker_id) == ("queued", "waiting (the worker was stopped)", None)


@pytest.mark.slow
def test_a_consumer_killed_from_outside_right_after_its_start_is_replaced_every_time(data_dir):
    """kill -9 (or the OOM killer) is not a crash loop: only the consumer's own quick failures stop the worker."""
    launcher = ConsumerLauncher(data_dir, ("cpu",), 1, warm_up=False)
    launcher.start()
    try:
        for _ in range(4):  # more than MAX_QUICK_CRASHES, each well inside CRASH_LOOP_S of the start
            [pid] = consumer_pids(data_dir, 1)
            os.kill(pid, signal.SIGKILL)
            wait_for(lambda victim=pid: launcher.children[0].process.poll() is not None, timeout=10,
                     what="the killed consumer to be reaped")
            [replacement] = launcher.supervise()  # raises ConsumerStartError if counted as a crash loop
            wait_for(lambda new=replacement: new in [r.pid for r in slots.live_consumers(data_dir)], timeout=60,
                     what="the replacement to hold its slot")
    finally:
        launcher.stop()
