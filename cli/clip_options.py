"""The clip options `export` and `scan --export` (Auto) share, and the ExportSettings they make."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.defaults import DEFAULT_CLIP_LENGTH
from core.export_plan import FORMATS, ExportSettings


def add_clip_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """--name, --length, --label, --category and --format."""
    parser.add_argument("--name", help="clip name (default: the export folder's name)")
    parser.add_argument(
        "--length", type=float, default=DEFAULT_CLIP_LENGTH, help="clip length in seconds (default: %(default)s)"
    )
    parser.add_argument("--label", default="", help="label stored with each clip")
    parser.add_argument("--category", default="", help="category stored with each clip")
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=FORMATS,
        default="mp4",
        help="mp4 (H.264 + PCM) or webp (frame folder + .wav) (default: %(default)s)",
    )


def clip_settings(args: argparse.Namespace, folder: Path, **more: Any) -> ExportSettings:
    """ExportSettings for `folder` from the options of add_clip_options, --spread and `more`."""
    return ExportSettings(
        name=args.name or folder.resolve().name,
        export_folder=folder,
        label=args.label,
        category=args.category,
        fmt=args.fmt,
        length=args.length,
        spread=args.spread,
        **more,
    )
