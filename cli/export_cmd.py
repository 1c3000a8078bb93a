"""`export VIDEO --at T [--at T …] --folder DIR …`: cut clips at given times, as `E` does in the window."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.clip_options import add_clip_options, clip_settings
from core.errors import FoleycutError
from core.export import (
    PORTRAIT_RATIOS,
    DatasetJsonError,
    default_workers,
    export_marker,
    plan_marker,
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="cut clips from a video at given times",
        description="Cut COUNT overlapping clips of LENGTH seconds at each --at time into "
        "FOLDER/vid_NNN/NAME_NNN_SS.mp4, record them and rewrite FOLDER/dataset.json.",
    )
    parser.add_argument("video", type=Path, help="source video")
    parser.add_argument(
        "--at",
        type=float,
        action="append",
        required=True,
        metavar="T",
        help="marker time in seconds; repeat for several markers",
    )
    parser.add_argument("--folder", required=True, help="export folder")
    parser.add_argument("--count", type=int, default=1, help="clips per marker (default: %(default)s)")
    parser.add_argument(
        "--spread",
        type=float,
        default=1.0,
        help="seconds between the starts of a marker's clips (default: %(default)s)",
    )
    add_clip_options(parser)
    add_picture_options(parser)
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="re-encode markers already exported at these times to their own file names",
    )
    parser.set_defaults(func=run)


def add_picture_options(parser: argparse.ArgumentParser) -> None:
    """The picture and encoding options `export` and `reexport` share."""
    parser.add_argument("--short-side", type=int, metavar="N", help="resize so the shorter side is N pixels")
    parser.add_argument("--portrait", choices=tuple(PORTRAIT_RATIOS), help="crop to a portrait/square ratio")
    parser.add_argument(
        "--portrait-center",
        type=float,
        default=0.5,
        metavar="X",
        help="horizontal centre of the crop, 0 (left) to 1 (right) (default: %(default)s)",
    )
    parser.add_argument(
        "--random-crop",
        type=float,
        default=0.0,
        metavar="PCT",
        help="share (0-100 %%) of each batch's clips given a random portrait or square crop, "
        "drawn from the clip's name (default: %(default)s)",
    )
    parser.add_argument(
        "--ltx2",
        action="store_true",
        help="LTX-2 mode: 8k+1 frames (nearest the length) at 25 fps, width and height "
        "centre-cropped to multiples of 32",
    )
    parser.add_argument(
        "--workers", type=int, default=default_workers(), help="clips encoded in parallel (default: %(default)s)"
    )
    parser.add_argument(
        "--encoder",
        default="auto",
        help="H.264 encoder: auto (hardware when one works), libx264, h264_nvenc, … (default: auto)",
    )


def picture_settings(args: argparse.Namespace) -> dict:
    """ExportSettings fields from the options of add_picture_options."""
    return {
        "short_side": args.short_side,
        "portrait": args.portrait,
        "portrait_center": args.portrait_center,
        "random_crop": args.random_crop,
        "ltx2": args.ltx2,
        "workers": args.workers,
        "encoder": args.encoder,
    }


def run(args: argparse.Namespace, ctx) -> int:
    if not args.folder.strip():  # Path('') would be the current directory
        raise FoleycutError("--folder is empty: name the export folder the clips go to.")
    settings = clip_settings(args, Path(args.folder), count=args.count, **picture_settings(args))
    # Every marker is checked before the first clip is encoded, so bad input writes nothing.
    for marker_time in args.at:
        for warning in plan_marker(ctx.db, args.video, marker_time, settings, ctx.profile, args.overwrite).warnings:
            print(f"warning: {warning}", file=sys.stderr)
    written, stale_dataset = 0, False
    for marker_time in args.at:
        try:
            clips = export_marker(ctx.db, args.video, marker_time, settings, ctx.profile, overwrite=args.overwrite)
        except DatasetJsonError as exc:  # the clips are safe: report it and go on with the next marker
            print(f"error: {exc}", file=sys.stderr)
            clips, stale_dataset = exc.clips, True
        for clip in clips:
            print(f"{clip.path}\tstart {clip.start:.3f} s\tlength {clip.length:g} s")
            written += 1
    if stale_dataset:
        return 1
    print(f"Wrote {written} clip(s); dataset.json updated in {settings.export_folder.resolve()}")
    return 0
