"""Headless command line over the same core the window uses.

Each sub-command lives in its own module with `register(subparsers)`, which adds its parser and sets
`func(args, ctx) -> int`. Failures the user can act on are `FoleycutError`s: printed as one line,
exit status 1, nothing written.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from functools import cached_property

from cli import (export_cmd, extract_audio_cmd, models_cmd, negatives_cmd, reexport_cmd, scan_cmd, search_cmd,
                 suggest_cmd, train_cmd)
from core.errors import FoleycutError
from core.home import DataHome

COMMANDS = (export_cmd, reexport_cmd, extract_audio_cmd, train_cmd, scan_cmd, negatives_cmd, models_cmd, search_cmd,
            suggest_cmd)


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Foleycut: cut sound-event clips from video, train a classifier, scan for more. "
        "Run without arguments for the desktop application.",
    )
    parser.add_argument("--home", help="data home (default: $FOLEYCUT_HOME, else the platform data dir)")
    parser.add_argument("--profile", default="default", help="marker profile (default: %(default)s)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(subparsers)
    return parser


def run_cli(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        ctx = CliContext(home=DataHome.resolve(args.home), profile=args.profile)
        return args.func(args, ctx)
    except FoleycutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
