"""`suggest --classifier NAME [--top K] [--json]`: the review queue, the windows most worth an answer."""

from __future__ import annotations

import argparse
import json

from cli.scan_cmd import terminal_progress
from core.classifier_store import load_classifier
from core.library_index import known_videos
from core.review_queue import DEFAULT_QUEUE_LENGTH, AnswerLog, labelled_check, rank_library


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "suggest",
        help="list the windows most worth a human answer (the review queue)",
        description="Rank every video the database knows with a classifier: broad matches (what a linear model "
        "of the same labels ranks highest: kinds of the sound no answer has reached yet), uncertain windows and "
        "confident unlabelled hits, in turn (already exported, negative or answered occurrences left out).",
    )
    parser.add_argument("--classifier", required=True, metavar="NAME", help="classifier name (see `models list`)")
    parser.add_argument(
        "--top", type=int, default=DEFAULT_QUEUE_LENGTH, metavar="K", help="queue length (default: %(default)s)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='print [{"video": v, "start": s, "end": e, "score": p, "reason": r}, …] in queue order',
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx) -> int:
    meta = load_classifier(ctx.home, args.classifier).meta
    labelled = labelled_check(
        ctx.db, AnswerLog(ctx.home, ctx.profile), ctx.profile, meta.folders.get("positive") or "", meta.window
    )
    queue = rank_library(
        ctx.db,
        ctx.home,
        args.classifier,
        known_videos(ctx.db, ctx.profile),
        labelled,
        max(1, args.top),
        progress=terminal_progress(),
    )
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "video": str(item.video),
                        "start": round(item.start, 3),
                        "end": round(item.end, 3),
                        "score": round(item.score, 4),
                        "reason": item.reason,
                    }
                    for item in queue
                ],
                indent=2,
            )
        )
    else:
        for rank, item in enumerate(queue, 1):
            print(
                f"{rank:4d}  {item.video}  {item.start:9.2f} - {item.end:9.2f} s  p {item.score:.3f}  ({item.reason})"
            )
        if not queue:
            print("Nothing to review: every window of the library is labelled already.")
    return 0
