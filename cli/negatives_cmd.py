"""Hard negatives: `negatives add VIDEO [--at T…] [--region START END…] [--model NAME]`, `negatives list`,
`negatives delete ID…`."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.audio import audio_duration
from core.defaults import DEFAULT_HOP, DEFAULT_WINDOW
from core.embedding_models import get_spec
from core.errors import FoleycutError
from core.scanning import negative_times_for_region


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "negatives",
        help="manage hard negatives",
        description="Windows the classifier must learn to reject (per profile).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="mark windows of a video as hard negatives")
    add.add_argument("video", type=Path, metavar="VIDEO")
    add.add_argument(
        "--at", type=float, action="append", default=[], metavar="T", help="window start in seconds; repeat for several"
    )
    add.add_argument(
        "--region",
        type=float,
        nargs=2,
        action="append",
        default=[],
        metavar=("START", "END"),
        help="every window inside a scan region, as the window's 'Mark as negative' stores it; repeat for several",
    )
    add.add_argument("--model", default="", metavar="NAME", help="embedding model whose scan showed them")
    add.set_defaults(func=run_add)

    listing = actions.add_parser("list", help="list the hard negatives")
    listing.set_defaults(func=run_list)

    delete = actions.add_parser("delete", help="delete hard negatives by id (see `negatives list`)")
    delete.add_argument("ids", nargs="+", type=int, metavar="ID")
    delete.set_defaults(func=run_delete)


def run_add(args: argparse.Namespace, ctx) -> int:
    if args.model:
        get_spec(args.model)
    video = args.video.resolve()
    if not video.is_file():
        raise FoleycutError(f"No such video: {args.video}; check the path.")
    if not args.at and not args.region:
        raise FoleycutError("Nothing to add: give --at T or --region START END.")
    duration = audio_duration(video)
    bounds = [t for t in args.at] + [t for region in args.region for t in region]
    outside = [t for t in bounds if not 0.0 <= t <= duration]
    if outside:
        raise FoleycutError(
            f"{', '.join(f'{t:g}' for t in outside)} s lies outside {video.name} "
            f"(0 to {duration:.1f} s); give times inside the video."
        )
    backwards = [f"{start:g}-{end:g}" for start, end in args.region if start >= end]
    if backwards:
        raise FoleycutError(f"--region {', '.join(backwards)} ends before it starts: give START then END.")
    times = sorted(
        set(args.at)
        | {t for start, end in args.region for t in negative_times_for_region(start, end, DEFAULT_WINDOW, DEFAULT_HOP)}
    )
    ids = ctx.db.add_hard_negatives(video.name, ctx.profile, times, source_path=str(video), source_model=args.model)
    print(f"Added {len(ids)} hard negative(s) to {video.name}: id {', '.join(map(str, ids))}")
    return 0


def run_list(args: argparse.Namespace, ctx) -> int:
    rows = ctx.db.get_hard_negatives(ctx.profile)
    for row in rows:
        print(f"{row['id']:6d}  {row['start_time']:9.1f} s  {row['source_model'] or '-':14s}  {row['filename']}")
    print(f"{len(rows)} hard negative(s) in profile '{ctx.profile}'")
    return 0


def run_delete(args: argparse.Namespace, ctx) -> int:
    known = {row["id"] for row in ctx.db.get_hard_negatives(ctx.profile)}
    unknown = sorted(set(args.ids) - known)
    if unknown:
        raise FoleycutError(
            f"No hard negative with id {', '.join(map(str, unknown))} in profile '{ctx.profile}': see `negatives list`."
        )
    deleted = ctx.db.delete_hard_negatives_by_ids(args.ids)
    print(f"Deleted {deleted} hard negative(s)")
    return 0
