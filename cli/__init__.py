"""Headless command line over the same core the window uses.

Each sub-command lives in its own module with `register(subparsers)`, which adds its parser and sets
`func(args, ctx) -> int`. Failures the user can act on are `FoleycutError`s: printed as one line,
exit status 1, nothing written. Only the module of the sub-command given is imported (the others pull in
export, search or model code a scan never runs): all of them only for help or a mistyped command.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass
from functools import cached_property

from core.errors import FoleycutError
from core.home import DataHome

COMMANDS = {
    "export": "export_cmd",
    "reexport": "reexport_cmd",
    "extract-audio": "extract_audio_cmd",
    "train": "train_cmd",
    "scan": "scan_cmd",
    "negatives": "negatives_cmd",
    "models": "models_cmd",
    "search": "search_cmd",
    "suggest": "suggest_cmd",
}  # name: module in cli/
_GLOBAL_OPTIONS_WITH_VALUE = ("--home", "--profile")


@dataclass
class CliContext:
    home: DataHome
    profile: str

    @cached_property
    def db(self):
        from core.db import ProcessedDB
        from core.recovery import recover_at_start

        db = ProcessedDB(self.home.db_path)
        recovery = recover_at_start(self.home, db)  # what a killed run left: undone before anything new is written
        if recovery.problem:
            print(f"warning: {recovery.problem}", file=sys.stderr)
        return db


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`: with its sub-command's module only when it names one, else with all."""
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Foleycut: cut sound-event clips from video, train a classifier, scan for more. "
        "Run without arguments for the desktop application.",
    )
    parser.add_argument("--home", help="data home (default: $FOLEYCUT_HOME, else the platform data dir)")
    parser.add_argument("--profile", default="default", help="marker profile (default: %(default)s)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = _command_in(argv or [])
    for name in [chosen] if chosen else COMMANDS:
        importlib.import_module(f"cli.{COMMANDS[name]}").register(subparsers)
    return parser


def _command_in(argv: list[str]) -> str | None:
    """The sub-command `argv` names, if it names a known one (global options and their values skipped)."""
    words = iter(argv)
    for word in words:
        if word in _GLOBAL_OPTIONS_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def run_cli(argv: list[str]) -> int:
    args = build_parser(argv).parse_args(argv)
    try:
        ctx = CliContext(home=DataHome.resolve(args.home), profile=args.profile)
        return args.func(args, ctx)
    except FoleycutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
