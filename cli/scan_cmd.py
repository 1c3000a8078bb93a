"""`scan VIDEO… --classifier NAME [--threshold P] [--min-length S] [--json]`: find the sound in videos."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

from core.errors import FoleycutError
from core.scanning import scan_files


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "scan", help="scan videos with a trained classifier",
        description="Scan videos with a classifier; the regions found are stored as a new scan version.")
    parser.add_argument("videos", nargs="+", metavar="VIDEO")
    parser.add_argument("--classifier", required=True, metavar="NAME", help="classifier name (see `models list`)")
    parser.add_argument("--version", help="classifier version (default: the active one)")
    parser.add_argument("--threshold", type=float,
                        help="window probability (default: the one chosen when the classifier was trained)")
    parser.add_argument("--min-length", type=float, default=0.0, metavar="SECONDS",
                        help="drop regions shorter than this (default: %(default)s)")
    parser.add_argument("--json", action="store_true",
                        help='print {"<video>": [{"start": s, "end": e, "score": p}, …]}')
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx) -> int:
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise FoleycutError(f"--threshold {args.threshold:g} is not a probability: give a value from 0 to 1.")
    if not args.min_length >= 0.0:  # also refuses nan
        raise FoleycutError(f"--min-length {args.min_length:g} is not a length: give seconds, 0 or more.")
    missing = [video for video in args.videos if not Path(video).is_file()]
    if missing:
        raise FoleycutError(f"No such video: {', '.join(missing)}; check the path.")

    results = scan_files(ctx.db, ctx.home, [Path(v) for v in args.videos], args.classifier, ctx.profile,
                         threshold=args.threshold, min_length=args.min_length, version=args.version,
                         progress=terminal_progress())
    found = {}  # keyed by the path as given, so scripts find their own strings back
    for video, result in zip(args.videos, results):
        if result.error is not None:
            print(f"error: {video}: {result.error}", file=sys.stderr)
        else:
            found[video] = [{"start": r.start, "end": r.end, "score": r.score}
                                        for r in result.outcome.regions]
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        for video, regions in found.items():
            print(f"{video}: {len(regions)} region(s)")
            for region in regions:
                print(f"  {region['start']:9.2f} - {region['end']:9.2f} s  score {region['score']:.3f}")
    return 0 if len(found) == len(results) else 1


def terminal_progress() -> Callable[[float, str], None] | None:
    """Progress on one rewritten stderr line when a person watches the terminal; silence in pipelines."""
    if not sys.stderr.isatty():
        return None

    def show(fraction: float, message: str) -> None:
        end = "\n" if fraction >= 1.0 else ""
        print(f"\r\033[K[{fraction:4.0%}] {message}", end=end, file=sys.stderr, flush=True)

    return show
