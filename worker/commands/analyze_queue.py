"""``moss-music analyze --queue``: hand the files to the worker instead of analysing them in this process.

The worker adds the option to the core's ``analyze`` command; ``analyze`` calls
``args.queue_handler`` when it is given.
"""

from __future__ import annotations

from moss_music.analysis import lane_for_backend
from moss_music.cli.context import EXIT_FAILURES, EXIT_OK, UsageError
from moss_music.library import TrackNotFound
from moss_music.library.status import unusable_reason


def register(subparsers, common) -> None:
    analyze = subparsers.choices.get("analyze")
    if analyze is None:
        return
    analyze.add_argument("--queue", action="store_true",
                         help="queue the files for the worker (moss-music worker) and print job ids instead")
    analyze.set_defaults(queue_handler=run_queued)


def run_queued(args, ctx, tasks: list[str], params: dict, options: dict) -> int:
    """Add the files to the library, queue one job each for the worker, print the job ids."""
    from worker.client import enqueue_analysis
    from worker.launcher import ConsumerLauncher

    if args.jams:
        raise UsageError("--jams needs the results now: drop --queue, or export them once the jobs are done")
    tracks, failures = [], 0
    for ref in args.paths:
        try:
            track = ctx.library.resolve_track(ref) if ref.isdigit() else ctx.library.add_file(ref)
        except (TrackNotFound, OSError) as error:
            ctx.error(f"failed: {ref}: {error}")
            failures += 1
            continue
        reason = unusable_reason(track)
        if reason:
            ctx.error(f"failed: {ref}: {reason}")
            failures += 1
            continue
        tracks.append(track)
    job_ids = enqueue_analysis(ctx.library, [t.id for t in tracks], backend=args.backend, tasks=tasks,
                               params=params, force=args.force, data_dir=ctx.data_dir,
                               options=options) if tracks else []
    if args.json:
        ctx.print_json([{"job_id": job_id, "track_id": t.id, "path": t.path} for job_id, t in zip(job_ids, tracks)])
    else:
        for job_id, track in zip(job_ids, tracks):
            print(f"job {job_id}: {track.path}")
    lane = lane_for_backend(args.backend)
    if job_ids and not ConsumerLauncher(ctx.data_dir, (lane,)).running():
        ctx.error(f"no {lane} worker is running: start one with `moss-music worker --lanes {lane}`")
    return EXIT_FAILURES if failures else EXIT_OK
