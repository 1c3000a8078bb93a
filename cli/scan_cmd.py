"""`scan VIDEO… --classifier NAME [--threshold P] [--min-length S] [--force] [--json]`: find the sound in
videos; `--export --folder DIR [--merge-gap S]` also cuts clips from what was found (Auto)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from cli.clip_options import add_clip_options, clip_settings
from core.defaults import DEFAULT_MERGE_GAP
from core.errors import FoleycutError
from core.progress import Progress
from core.scanning import ScanOptions, scan_files


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="scan videos with a trained classifier",
        description="Scan videos with a classifier; the regions found are stored as a new scan version.",
    )
    parser.add_argument("videos", nargs="+", metavar="VIDEO")
    parser.add_argument("--classifier", required=True, metavar="NAME", help="classifier name (see `models list`)")
    parser.add_argument("--version", help="classifier version (default: the active one)")
    parser.add_argument(
        "--threshold", type=float, help="window probability (default: the one chosen when the classifier was trained)"
    )
    parser.add_argument(
        "--min-length",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="drop regions shorter than this (default: %(default)s)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="scan again files whose latest scan used this classifier version and threshold "
        "(default: they are skipped and their stored regions reported)",
    )
    parser.add_argument(
        "--skip-speech", action="store_true", help="leave out regions that lie mostly in speech (Silero VAD, offline)"
    )
    parser.add_argument(
        "--json", action="store_true", help='print {"<video>": [{"start": s, "end": e, "score": p}, …]}'
    )
    auto = parser.add_argument_group(
        "Auto",
        "with --export: merge each video's regions closer than --merge-gap, drop those shorter than "
        "a clip, and cut clips from the rest every --spread seconds",
    )
    auto.add_argument("--export", action="store_true", help="export clips from the regions found")
    auto.add_argument(
        "--merge-gap",
        type=float,
        default=DEFAULT_MERGE_GAP,
        metavar="SECONDS",
        help="fuse regions less than this far apart (default: %(default)s)",
    )
    auto.add_argument("--folder", help="export folder (required with --export)")
    add_clip_options(auto)
    auto.add_argument(
        "--spread",
        type=float,
        default=4.0,
        help="seconds between the starts of one region's clips (default: %(default)s)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx) -> int:
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise FoleycutError(f"--threshold {args.threshold:g} is not a probability: give a value from 0 to 1.")
    if not args.min_length >= 0.0:  # also refuses nan
        raise FoleycutError(f"--min-length {args.min_length:g} is not a length: give seconds, 0 or more.")
    missing = [video for video in args.videos if not Path(video).is_file()]
    if missing:
        raise FoleycutError(f"No such video: {', '.join(missing)}; check the path.")

    if args.export:
        return _run_auto(args, ctx)
    if args.folder is not None:
        raise FoleycutError("--folder is for --export: add --export to cut clips, or leave --folder out.")

    results = scan_files(
        ctx.db,
        ctx.home,
        [Path(v) for v in args.videos],
        args.classifier,
        _scan_options(args, ctx),
        progress=terminal_progress(),
    )
    found = {}  # keyed by the path as given, so scripts find their own strings back
    for video, result in zip(args.videos, results):
        if result.error is not None:
            print(f"error: {video}: {result.error}", file=sys.stderr)
        elif result.outcome is not None:
            if result.outcome.skipped and not args.json:
                print(f"{video}: already scanned with these settings (--force scans again)", file=sys.stderr)
            found[video] = [{"start": r.start, "end": r.end, "score": r.score} for r in result.outcome.regions]
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        for video, regions in found.items():
            print(f"{video}: {len(regions)} region(s)")
            for region in regions:
                print(f"  {region['start']:9.2f} - {region['end']:9.2f} s  score {region['score']:.3f}")
    return 0 if len(found) == len(results) else 1


def _run_auto(args: argparse.Namespace, ctx) -> int:
    if not (args.folder or "").strip():
        raise FoleycutError("--export needs --folder DIR: name the export folder the clips go to.")
    if not args.merge_gap >= 0.0:
        raise FoleycutError(f"--merge-gap {args.merge_gap:g} is not a length: give seconds, 0 or more.")
    from core.auto_export import auto_export  # the export machinery, only when Auto runs

    settings = clip_settings(args, Path(args.folder))
    results = auto_export(
        ctx.db,
        ctx.home,
        [Path(v) for v in args.videos],
        args.classifier,
        settings,
        # as before ScanOptions: Auto keeps every region and exports those at least a clip long
        replace(_scan_options(args, ctx), min_length=0.0),
        merge_gap=args.merge_gap,
        progress=terminal_progress(),
    )
    found: dict[str, list[dict[str, Any]]] = {}
    failed = 0
    for video, result in zip(args.videos, results):
        if result.error is not None:
            print(f"error: {video}: {result.error}", file=sys.stderr)
            failed += 1
        if result.outcome is not None:
            found[video] = [
                {
                    "start": r.start,
                    "end": r.end,
                    "score": r.score,
                    "clips": [str(clip.path) for clip in result.clips if r.start - 0.5 <= clip.start <= r.end],
                }
                for r in result.exported_regions
            ]
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        for video, regions in found.items():
            clips = sum(len(region["clips"]) for region in regions)
            print(f"{video}: {len(regions)} region(s) exported as {clips} clip(s)")
            for region in regions:
                print(
                    f"  {region['start']:9.2f} - {region['end']:9.2f} s  score {region['score']:.3f}  "
                    f"{len(region['clips'])} clip(s)"
                )
    return 1 if failed else 0


def _scan_options(args, ctx) -> ScanOptions:
    return ScanOptions(
        profile=ctx.profile,
        threshold=args.threshold,
        min_length=args.min_length,
        version=args.version,
        skip_speech=args.skip_speech,
        force=args.force,
    )


def terminal_progress() -> Progress | None:
    """Progress on one rewritten stderr line when a person watches the terminal; silence in pipelines."""
    if not sys.stderr.isatty():
        return None

    def show(fraction: float, message: str) -> None:
        end = "\n" if fraction >= 1.0 else ""
        print(f"\r\033[K[{fraction:4.0%}] {message}", end=end, file=sys.stderr, flush=True)

    return show
