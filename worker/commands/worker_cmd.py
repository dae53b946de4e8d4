"""``moss-music worker [--lanes cpu,gpu] [--cpu-workers N]``: run queue consumers in the foreground.

Each consumer is its own process (a crash or a kill takes one job back to the
queue, not the others); this command watches them, restarts one that dies, and
on Ctrl-C stops them all, returning their running jobs to the queue.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

from moss_music.cli.context import EXIT_FAILURES, EXIT_OK, UsageError


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "worker", parents=[common], help="run queue consumers in the foreground (Ctrl-C stops them)",
        description="Run the consumers that execute queued analyses. Logs go to the data dir's logs folder.")
    parser.add_argument("--lanes", default="cpu",
                        help="comma-separated lanes: cpu (DSP, several workers), gpu (the model, one worker); "
                             "default cpu")
    parser.add_argument("--cpu-workers", type=int, default=max(1, min(4, (os.cpu_count() or 2) - 1)),
                        metavar="N", help="cpu-lane worker processes (default: cores - 1, at most 4)")
    parser.set_defaults(handler=run)


def parse_lanes(text: str) -> tuple[str, ...]:
    from worker.app import LANES

    lanes = tuple(dict.fromkeys(lane.strip() for lane in text.split(",") if lane.strip()))
    unknown = [lane for lane in lanes if lane not in LANES]
    if not lanes or unknown:
        raise UsageError(f"--lanes takes a comma-separated list of {', '.join(LANES)}")
    return lanes


def run(args, ctx) -> int:
    from worker.app import queue_description
    from worker.launcher import ConsumerLauncher, ConsumerStartError

    lanes = parse_lanes(args.lanes)
    if args.cpu_workers < 1:
        raise UsageError("--cpu-workers must be at least 1")
    launcher = ConsumerLauncher(ctx.data_dir, lanes, args.cpu_workers, inherit_output=True)
    for pid in launcher.stop_strays():
        ctx.error(f"stopped a consumer left behind by a worker that is gone (pid {pid})")
    if "gpu" in lanes and launcher.lane_status().get("gpu"):
        ctx.error("a gpu consumer already runs for this data dir; starting the other lanes only")
        lanes = tuple(lane for lane in lanes if lane != "gpu")
        if not lanes:
            return EXIT_OK
    ctx.library  # noqa: B018 - open (and migrate) the library once before the consumers start
    # Terminated or hung up (terminal closed): stop the consumers as on Ctrl-C, handing their jobs back.
    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            signal.signal(signum, _raise_interrupt)
    try:
        pids = launcher.start(lanes)
        print(f"moss-music worker: lanes {', '.join(_lane_label(lane, args.cpu_workers) for lane in lanes)} "
              f"(pids {' '.join(map(str, pids))})")
        print(f"  queue {queue_description(ctx.data_dir)}; library {_library_label(ctx)}")
        print(f"  logs {ctx.data_dir.logs_dir}; Ctrl-C stops (running jobs go back to the queue)", flush=True)
        while True:
            for pid in launcher.supervise():
                ctx.error(f"a consumer died; restarted it (pid {pid})")
            time.sleep(0.5)
    except ConsumerStartError as error:
        ctx.error(f"moss-music worker: {error}")
        launcher.stop()
        return EXIT_FAILURES
    except KeyboardInterrupt:
        with contextlib.suppress(OSError):  # hung up: the terminal may be gone, the consumers must still stop
            print("stopping consumers…", flush=True)
        launcher.stop()
        return EXIT_OK


def _raise_interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def _lane_label(lane: str, cpu_workers: int) -> str:
    return f"cpu×{cpu_workers}" if lane == "cpu" else lane


def _library_label(ctx) -> str:
    return ctx.library.engine.url.render_as_string(hide_password=True)
