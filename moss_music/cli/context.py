"""What every subcommand needs: the data dir, the library, and consistent output."""

from __future__ import annotations

import json
import sys
from functools import cached_property
from typing import Any

from moss_music.paths import DataDir

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad arguments that argparse could not catch (unknown track, conflicting options)."""


class CliContext:
    def __init__(self, home: str | None = None) -> None:
        self._home = home

    @cached_property
    def data_dir(self) -> DataDir:
        return DataDir.resolve(self._home)

    @cached_property
    def library(self):  # -> moss_music.library.Library; imported late to keep `--help` fast
        from moss_music.library import Library

        return Library.open(self.data_dir)

    @staticmethod
    def print_json(data: Any) -> None:
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False, sort_keys=True)
        sys.stdout.write("\n")

    @staticmethod
    def error(message: str) -> None:
        print(message, file=sys.stderr)
