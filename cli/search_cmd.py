"""`search VIDEO --at T [--length S] [--model NAME] [--in VIDEO…] [--top K] [--json]`: find similar sounds.

VIDEO may also be an exported clip (or any sound file) when `--at` is left out: the whole clip is the example.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cli.scan_cmd import terminal_progress
from core.embedding_models import DEFAULT_MODEL, get_spec
from core.errors import FoleycutError
from core.library_index import known_videos
from core.similarity_search import (
    DEFAULT_EXAMPLE_SECONDS,
    by_video,
    example_from_clip,
    example_from_video,
    find_similar,
    open_index,
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "search",
        help="find sounds similar to an example across the library",
        description="List the places across the library whose sound is closest to an example: a time range "
        "of a video (--at, --length) or a whole clip file (no --at). Needs no classifier.",
    )
    parser.add_argument("video", type=Path, metavar="VIDEO")
    parser.add_argument("--at", type=float, metavar="T", help="example start in seconds (omit for a whole clip)")
    parser.add_argument(
        "--length",
        type=float,
        default=DEFAULT_EXAMPLE_SECONDS,
        metavar="S",
        help="example length: the sound lies in [T, T + S] (default: %(default)s)",
    )
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        metavar="NAME",
        help="embedding model (default: %(default)s; see `models list`)",
    )
    parser.add_argument(
        "--in",
        dest="within",
        type=Path,
        nargs="+",
        metavar="VIDEO",
        help="search these videos (default: every video the database knows, and VIDEO)",
    )
    parser.add_argument("--top", type=int, default=20, metavar="K", help="hits over all videos (default: %(default)s)")
    parser.add_argument(
        "--json", action="store_true", help='print {"<video>": [{"start": s, "end": e, "score": similarity}, …]}'
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx) -> int:
    model = get_spec(args.model).name
    if args.top < 1:
        raise FoleycutError(f"--top {args.top} must be at least 1.")
    if not args.video.is_file() and not args.video.is_dir():
        raise FoleycutError(f"No such file: {args.video}; check the path.")
    missing = [str(v) for v in args.within or [] if not v.is_file()]
    if missing:
        raise FoleycutError(f"No such video: {', '.join(missing)}; check the path.")
    library = list(args.within) if args.within else known_videos(ctx.db, ctx.profile)
    if not args.within and args.at is not None:  # the example's own video holds repeats too
        library.append(args.video)
    # The example first: a bad time or a file without sound stops here, before the library is indexed.
    if args.at is None:
        example = example_from_clip(ctx.home, args.video, model)
    else:
        example = example_from_video(ctx.home, args.video, args.at, args.length, model)
    index = open_index(ctx.home, model)
    report = index.sync(library, progress=terminal_progress())
    for video, why in report.failed:
        print(f"warning: skipped {video}: {why}", file=sys.stderr)
    searched = [v for v in library if v.resolve() not in {failure.path for failure in report.failed}]
    regions = find_similar(index, example, args.top, only=searched)
    as_given = {v.resolve(): str(v) for v in reversed(library)}  # keyed by the path as given, like `scan`
    found = by_video(regions, as_given)
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        for rank, region in enumerate(regions, 1):
            print(
                f"{rank:4d}  {as_given.get(region.video, str(region.video))}  "
                f"{region.start:9.2f} - {region.end:9.2f} s  similarity {region.score:.3f}"
            )
        if not regions:
            print("No similar sound found: the library holds no other windows; add videos with --in.")
    return 0
