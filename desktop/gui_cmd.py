"""``moss-music gui``: start the desktop app on this data dir."""

from __future__ import annotations


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("gui", parents=[common], help="open the desktop app")
    parser.set_defaults(handler=run)


def run(args, ctx) -> int:
    try:
        from desktop.app import main as gui_main
    except ImportError as error:
        ctx.error(f"the desktop app cannot start: {error} (is PySide6 installed? run `moss-music doctor`)")
        return 1
    return int(gui_main(["--home", str(ctx.data_dir.root)]) or 0)
