"""`models list`: embedding models (built in / downloaded) and trained classifiers with their versions;
`models rollback CLASSIFIER VERSION`: make an older version the one scans use."""
from __future__ import annotations

import argparse

from core.classifier_store import list_classifiers, list_versions, rollback
from core.embedding_models import get_spec, list_models


def register(subparsers) -> None:
    parser = subparsers.add_parser("models", help="list embedding models and classifiers, roll back versions")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="embedding models and trained classifiers").set_defaults(func=run_list)
    back = actions.add_parser("rollback", help="make an older classifier version active (nothing is deleted)")
    back.add_argument("classifier", metavar="CLASSIFIER")
    back.add_argument("version", metavar="VERSION")
    back.set_defaults(func=run_rollback)


def run_list(args: argparse.Namespace, ctx) -> int:
    print("Embedding models:")
    for model in list_models(ctx.home):
        if model.builtin:
            state = "built in"
        elif model.downloaded:
            state = "downloaded"
        else:
            state = f"not downloaded (downloads on first use, or set {get_spec(model.name).local_dir_variable})"
        print(f"  {model.name:15s} dim {model.dim:5d}  {state}")

    classifiers = list_classifiers(ctx.home)
    print("Classifiers:" if classifiers else "Classifiers: none yet (see `train --help`)")
    for info in classifiers:
        print(f"  {info.name} ({info.embedding_model}), {info.version_count} version(s)")
        for meta in list_versions(ctx.home, info.name):
            metrics = meta.metrics
            active = "*" if meta.version == info.active_version else " "
            print(f"   {active} {meta.version}  precision {metrics.get('precision', 0):.3f}  "
                  f"recall {metrics.get('recall', 0):.3f}  AP {metrics.get('average_precision', 0):.3f}  "
                  f"positive clips {meta.counts.get('positive_clips', 0)}")
    if classifiers:
        print("(* active version)")
    return 0


def run_rollback(args: argparse.Namespace, ctx) -> int:
    meta = rollback(ctx.home, args.classifier, args.version)
    print(f"Classifier '{meta.name}' now scans with version {meta.version}")
    return 0
