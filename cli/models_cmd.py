"""`models list`: embedding models (built in / downloaded) and trained classifiers with their versions;
`models rollback CLASSIFIER VERSION`: make an older version the one scans use;
`models folder NAME [DIR | --clear]`: show, choose or forget the local folder an embedding model loads from."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.classifier_store import list_classifiers, list_versions, rollback
from core.embedding_models import get_spec, list_models, model_folders, set_model_folder


def register(subparsers) -> None:
    parser = subparsers.add_parser("models", help="list embedding models and classifiers, roll back versions")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="embedding models and trained classifiers").set_defaults(func=run_list)
    back = actions.add_parser("rollback", help="make an older classifier version active (nothing is deleted)")
    back.add_argument("classifier", metavar="CLASSIFIER")
    back.add_argument("version", metavar="VERSION")
    back.set_defaults(func=run_rollback)
    folder = actions.add_parser("folder", help="show or choose the local folder an embedding model loads from")
    folder.add_argument("model", metavar="NAME")
    choice = folder.add_mutually_exclusive_group()
    choice.add_argument(
        "dir",
        metavar="DIR",
        nargs="?",
        type=Path,
        help="folder holding config.json and the weights (BEATS: its .pt checkpoint)",
    )
    choice.add_argument("--clear", action="store_true", help="forget the chosen folder")
    folder.set_defaults(func=run_folder)


def run_list(args: argparse.Namespace, ctx) -> int:
    print("Embedding models:")
    for model in list_models(ctx.home):
        if model.builtin:
            state = "built in"
        elif model.downloaded:
            state = "downloaded"
        else:
            state = f"not downloaded (downloads on first use, or `models folder {model.name} DIR`)"
        print(f"  {model.name:15s} dim {model.dim:5d}  {state}")

    classifiers = list_classifiers(ctx.home)
    print("Classifiers:" if classifiers else "Classifiers: none yet (see `train --help`)")
    for info in classifiers:
        print(f"  {info.name} ({info.embedding_model}), {info.version_count} version(s)")
        for meta in list_versions(ctx.home, info.name):
            metrics = meta.metrics
            active = "*" if meta.version == info.active_version else " "
            print(
                f"   {active} {meta.version}  precision {metrics.get('precision', 0):.3f}  "
                f"recall {metrics.get('recall', 0):.3f}  AP {metrics.get('average_precision', 0):.3f}  "
                f"positive clips {meta.counts.get('positive_clips', 0)}"
            )
        for version in info.damaged:
            print(f"   ! {version}  metadata damaged: left out (roll back to another version or train again)")
    if classifiers:
        print("(* active version)")
    return 0


def run_rollback(args: argparse.Namespace, ctx) -> int:
    meta = rollback(ctx.home, args.classifier, args.version)
    print(f"Classifier '{meta.name}' now scans with version {meta.version}")
    return 0


def run_folder(args: argparse.Namespace, ctx) -> int:
    name = get_spec(args.model).name
    if args.clear:
        set_model_folder(ctx.home, name, None)
        print(f"{name} no longer loads from a chosen folder")
    elif args.dir is not None:
        print(f"{name} now loads from {set_model_folder(ctx.home, name, args.dir)}")
    else:
        chosen = model_folders(ctx.home).get(name)
        print(f"{name} loads from {chosen}" if chosen else f"{name}: no folder chosen")
    return 0
