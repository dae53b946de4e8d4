"""``moss-music jobs``: see and steer the analysis queue.

    moss-music jobs [--json] [--watch] [--state running,queued] [--limit N]
    moss-music jobs cancel ID...     moss-music jobs retry ID...
    moss-music jobs pause | resume | clear
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

from moss_music.cli.context import EXIT_FAILURES, EXIT_OK, UsageError
from worker.states import ACTIVE_STATES, STATES, JobState

ACTIONS = ("list", "cancel", "retry", "pause", "resume", "clear")
WATCH_INTERVAL_S = 1.0


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("jobs", parents=[common], help="list, cancel, retry, pause or resume queued jobs",
                                   description="Show the analysis queue, or act on jobs.")
    parser.add_argument("action", nargs="?", default="list", choices=ACTIONS,
                        help="list (default), cancel ID..., retry ID..., pause, resume, clear (forget finished jobs)")
    parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="job ids for cancel and retry")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--watch", action="store_true",
                        help="refresh until no job is queued or running (Ctrl-C stops watching)")
    parser.add_argument("--state", help=f"only jobs in these states (comma-separated: {','.join(STATES)})")
    parser.add_argument("--limit", type=int, default=None, help="at most N jobs")
    parser.set_defaults(handler=run)


def run(args, ctx) -> int:
    from worker import client

    if args.action in ("cancel", "retry"):
        if not args.ids:
            raise UsageError(f"jobs {args.action} needs at least one job id")
        return _act_on_ids(args, ctx)
    if args.ids:
        raise UsageError(f"jobs {args.action} takes no job ids")
    if args.action == "pause":
        client.pause_queue(ctx.data_dir)
        print("queue paused: running jobs finish, nothing new starts (moss-music jobs resume)")
        return EXIT_OK
    if args.action == "resume":
        client.resume_queue(ctx.data_dir)
        print("queue resumed")
        return EXIT_OK
    if args.action == "clear":
        print(f"forgot {client.clear_finished(ctx.library)} finished jobs")
        return EXIT_OK
    states = [s.strip() for s in args.state.split(",") if s.strip()] if args.state else None
    if states and set(states) - set(STATES):
        raise UsageError(f"--state takes {', '.join(STATES)}")
    return _watch(args, ctx, states) if args.watch else _show(args, ctx, states)


def _act_on_ids(args, ctx) -> int:
    from worker import client

    failures = 0
    results = []
    for job_id in args.ids:
        try:
            if args.action == "cancel":
                state = client.cancel_job(ctx.library, job_id, data_dir=ctx.data_dir)
                message = "cancelled" if state == JobState.CANCELLED else (
                    "stopping (it stops at its next step)" if state == JobState.RUNNING else f"already {state}")
            else:
                client.retry_job(ctx.library, job_id, data_dir=ctx.data_dir)
                state, message = JobState.QUEUED, "queued again"
        except (client.JobNotFound, client.JobStateError) as error:
            ctx.error(f"job {job_id}: {error}")
            failures += 1
            continue
        results.append({"id": job_id, "state": state})
        if not args.json:
            print(f"job {job_id}: {message}")
    if args.json:
        ctx.print_json(results)
    return EXIT_FAILURES if failures else EXIT_OK


def _snapshot(ctx, states, limit) -> list[dict]:
    from sqlalchemy import select

    from moss_music.library.schema import Track
    from worker import client
    from worker.jobs import to_dict

    rows = [to_dict(job) for job in client.list_jobs(ctx.library, states=states, limit=limit)]
    track_ids = {row["track_id"] for row in rows if row["track_id"]}
    with ctx.library.session() as session:
        tracks = {tid: (path, title) for tid, path, title in
                  session.execute(select(Track.id, Track.path, Track.title).where(Track.id.in_(track_ids)))}
    for row in rows:
        path, title = tracks.get(row["track_id"], (None, None))
        row["track_path"], row["track_title"] = path, title or (Path(path).stem if path else None)
    return rows


def _show(args, ctx, states) -> int:
    rows = _snapshot(ctx, states, args.limit)
    if args.json:
        ctx.print_json(rows)
    else:
        print(format_table(rows, paused=_paused(ctx)))
    return EXIT_OK


def _watch(args, ctx, states) -> int:
    interactive = sys.stdout.isatty() and not args.json
    previous = None
    try:
        while True:
            rows = _snapshot(ctx, states, args.limit)
            if args.json:
                key = json.dumps(rows, sort_keys=True)
                if key != previous:
                    print(json.dumps(rows, sort_keys=True, ensure_ascii=False), flush=True)
                previous = key
            else:
                text = format_table(rows, paused=_paused(ctx))
                if text != previous:
                    print(("\x1b[2J\x1b[H" if interactive else "") + text + ("" if interactive else "\n"),
                          flush=True)
                previous = text
            if not any(row["state"] in ACTIVE_STATES for row in rows):
                return EXIT_OK
            time.sleep(WATCH_INTERVAL_S)
    except KeyboardInterrupt:
        return EXIT_OK


def _paused(ctx) -> bool:
    from worker import client

    return client.is_paused(ctx.data_dir)


def format_table(rows: list[dict], *, paused: bool = False) -> str:
    if not rows:
        return "no jobs" + ("  (queue paused)" if paused else "")
    width = max(20, min(48, shutil.get_terminal_size((100, 24)).columns - 60))
    lines = [f"{'ID':>5}  {'STATE':<9} {'PROG':>4}  {'BACKEND':<8} {'LANE':<4}  {'TRACK':<{width}}  STAGE / ERROR"]
    for row in rows:
        title = (row["track_title"] or "?")[:width]
        detail = row["error"] if row["state"] == JobState.FAILED and row["error"] else row["stage"] or ""
        lines.append(f"{row['id']:>5}  {row['state']:<9} {row['progress']:>4.0%}  {row['backend']:<8} "
                     f"{row['lane']:<4}  {title:<{width}}  {detail}")
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    summary = ", ".join(f"{n} {state}" for state, n in counts.items())
    lines.append(summary + ("  (queue paused: moss-music jobs resume)" if paused else ""))
    return "\n".join(lines)
