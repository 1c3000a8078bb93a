"""Train a classifier version:
`train --positive FOLDER [--positive FOLDER…] [--negative FOLDER] --model NAME --name CLASSIFIER …`."""

from __future__ import annotations

import argparse
import sys

from cli.scan_cmd import terminal_progress
from core.defaults import DEFAULT_MARGIN, DEFAULT_TARGET_PRECISION
from core.embedding_models import DEFAULT_MODEL
from core.errors import FoleycutError
from core.training import TrainingOptions, train_classifier


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a classifier on an export folder",
        description="Train a classifier on the clips of an export folder (as `models list` and the Train "
        "dialog name it) and save it as a new version of CLASSIFIER.",
    )
    parser.add_argument(
        "--positive",
        required=True,
        action="append",
        metavar="FOLDER",
        help="export folder holding the sound; repeat it to train several folders as one class",
    )
    parser.add_argument("--negative", metavar="FOLDER", help="export folder of explicit negatives")
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        metavar="NAME",
        help="embedding model (default: %(default)s; see `models list`)",
    )
    parser.add_argument("--name", required=True, metavar="CLASSIFIER", help="classifier name")
    parser.add_argument(
        "--margin",
        type=float,
        default=DEFAULT_MARGIN,
        metavar="SECONDS",
        help="automatic negatives keep this distance from every clip (default: %(default)s)",
    )
    parser.add_argument("--no-hard-negatives", action="store_true", help="leave the hard negatives out")
    parser.add_argument(
        "--normalise-per-video",
        action="store_true",
        help="z-score each video's windows before training and scanning (off: it lowered recall on real sounds)",
    )
    parser.add_argument("--include-scan-exports", action="store_true", help="train on scan-exported clips too")
    parser.add_argument(
        "--target-precision",
        type=float,
        metavar="P",
        default=DEFAULT_TARGET_PRECISION,
        help="scan at the lowest threshold whose cross-validated precision reaches P, else at "
        "the best F0.5 (default: %(default)s; 0: always the best F0.5)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx) -> int:
    if not 0.0 <= args.target_precision <= 1.0:
        raise FoleycutError(
            f"--target-precision {args.target_precision:g} is not a precision: give a value from 0 (best F0.5) to 1."
        )
    if not args.margin >= 0.0:
        raise FoleycutError(f"--margin {args.margin:g} is not a distance: give seconds, 0 or more.")
    options = TrainingOptions(
        profile=ctx.profile,
        positive_folder=tuple(args.positive),
        negative_folder=args.negative,
        model_name=args.model,
        name=args.name,
        margin=args.margin,
        use_hard_negatives=not args.no_hard_negatives,
        include_scan_exports=args.include_scan_exports,
        target_precision=args.target_precision or None,
        normalise_per_video=args.normalise_per_video,
    )
    result = train_classifier(ctx.db, ctx.home, options, progress=terminal_progress())
    for video, reason in result.skipped:
        print(f"warning: skipped {video}: {reason}", file=sys.stderr)
    counts, metrics = result.counts, result.metrics
    print(f"Trained '{result.name}' version {result.version} on {args.model} embeddings")
    print(f"  videos {counts['videos']}, positive clips {counts['positive_clips']}")
    print(
        f"  windows: positive {counts['positive_windows']}, negative {counts['negative_windows']} "
        f"(marked {counts['marked_negative_windows']}, automatic {counts['automatic_negative_windows']})"
    )
    print(
        f"  cross-validated ({metrics['folds']} folds by {metrics['grouped_by']}): "
        f"average precision {metrics['average_precision']:.3f}"
    )
    print(
        f"  operating point ({metrics['threshold_rule']}): threshold {metrics['threshold']:.3f}, "
        f"precision {metrics['precision']:.3f}, recall {metrics['recall']:.3f}"
    )
    return 0
