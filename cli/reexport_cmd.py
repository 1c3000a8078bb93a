"""`reexport --folder DIR [--video VIDEO] …`: re-encode exported clips with new picture/encoding settings."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.export_cmd import add_picture_options, picture_settings
from core.errors import FoleycutError
from core.export import ExportSettings
from core.reexport import clips_of_folder, clips_of_video, reexport_clips


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "reexport",
        help="re-encode exported clips with new picture settings, keeping names and rows",
        description="Re-encode every clip of export folder DIR (only VIDEO's with --video, in the chosen "
        "--profile) with the picture and encoding options given here. Each clip keeps its file name, "
        "start, format and database row; all clips are replaced or, on any failure, none.",
    )
    parser.add_argument("--folder", required=True, help="export folder whose clips are re-encoded")
    parser.add_argument("--video", type=Path, help="only the clips cut from this video")
    add_picture_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx) -> int:
    if not args.folder.strip():
        raise FoleycutError("--folder is empty: name the export folder whose clips are re-encoded.")
    folder = Path(args.folder).resolve()
    rows = clips_of_video(ctx.db, args.video, ctx.profile, folder) if args.video else clips_of_folder(ctx.db, folder)
    settings = ExportSettings(name="reexport", export_folder=folder, **picture_settings(args))
    count = reexport_clips(ctx.db, rows, settings)
    print(f"Re-encoded {count} clip(s) in {folder}; names and rows kept, dataset.json updated")
    return 0
