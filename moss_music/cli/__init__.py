"""The ``moss-music`` command.

Each subcommand lives in its own module with a ``register(subparsers, common)``
function that adds its parser and sets ``handler`` to a function taking
``(args, ctx)`` and returning the exit code. Exit codes: 0 ok, 1 some files
or jobs failed (listed on stderr), 2 usage error.

Packages above the core (the worker's ``worker``/``jobs``/``analyze --queue``,
the desktop app's ``gui``) add their commands through the ``moss_music.commands``
entry point group, registered after the core's, so nothing here imports them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from moss_music.cli.context import EXIT_FAILURES, EXIT_USAGE, CliContext, UsageError
from moss_music.storage import describe_storage_error

COMMANDS_GROUP = "moss_music.commands"
COMMAND_MODULES = (
    "scan",
    "tracks",
    "doctor",
    "demo",
    "analyze",
    "ask",
    "model",
    "export",
    "tag",
    "lyrics",
)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS lets `--home` stand before or after the command name without the later one erasing the first.
    common.add_argument("--home", metavar="DIR", default=argparse.SUPPRESS,
                        help="data directory (library, queue, caches, logs); default $MOSS_MUSIC_HOME or the user data dir")
    parser = argparse.ArgumentParser(
        prog="moss-music",
        description="MOSS-Music Studio: scan, analyse and export your music library.",
        parents=[common],
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"moss_music.cli.{name}_cmd").register(subparsers, common)
    for entry_point in entry_points(group=COMMANDS_GROUP):
        try:
            register = entry_point.load()
        except Exception as error:  # noqa: BLE001 - a broken add-on must not take the core commands down
            print(f"moss-music: the {entry_point.name} commands could not be loaded: {error}", file=sys.stderr)
            continue
        register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    ctx = CliContext(home=getattr(args, "home", None), read_only=getattr(args, "read_only", False))
    try:
        return int(args.handler(args, ctx) or 0)
    except UsageError as error:
        print(f"moss-music {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `moss-music tracks | head`: the reader left; say nothing more and do not flush into a closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:
        # A full or read-only disk mid-command: one line that says where, not a traceback.
        problem = describe_storage_error(error, ctx.data_dir.root if "data_dir" in vars(ctx) else "the data folder")
        if problem is None:
            raise
        print(f"moss-music {args.command}: {problem}", file=sys.stderr)
        return EXIT_FAILURES


if __name__ == "__main__":
    sys.exit(main())
