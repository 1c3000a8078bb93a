"""`extract-audio VIDEO --at T --length S --out FILE`: an exact-length WAV slice of a video's sound."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.audio_slice import extract_audio
from core.errors import FoleycutError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "extract-audio",
        help="save an exact-length audio slice of a video as WAV",
        description="Write LENGTH seconds of VIDEO's sound from time T to FILE as 16-bit PCM WAV holding exactly "
        "round(LENGTH x RATE) samples, at the source's sample rate unless --rate says otherwise.",
    )
    parser.add_argument("video", type=Path, help="source video")
    parser.add_argument("--at", type=float, required=True, metavar="T", help="start time in seconds")
    parser.add_argument("--length", type=float, required=True, metavar="S", help="slice length in seconds")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE", help="WAV file to write")
    parser.add_argument("--rate", type=int, metavar="HZ", help="sample rate (default: the source's)")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx) -> int:
    if args.out.exists() and not args.force:
        raise FoleycutError(f"{args.out} already exists: choose another --out or add --force to replace it.")
    result = extract_audio(args.video, args.at, args.length, args.out, args.rate)
    print(
        f"{result.path}\t{result.samples} samples at {result.rate} Hz ({result.length:.6f} s from {result.start:.3f} s)"
    )
    return 0
