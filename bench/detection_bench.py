"""Detection quality on real recorded sounds, driven only through the CLI, as a new user would work.

    .venv/bin/python bench/detection_bench.py                  # all scenarios, MEL, default settings
    .venv/bin/python bench/detection_bench.py --scenario class --model MEL

Per scenario (see bench/real_sounds.py): one 8 s clip is exported around every event of the three training
videos (`main.py export --at`, the cursor 0.5-4 s before the sound), a classifier is trained
(`main.py train`), the held-out videos are scanned with the classifier's defaults (`main.py scan --json`).
Then one round of hard negatives: every region of the training videos' scans that touches no event is marked
(`main.py negatives add --region`), the classifier retrained and the held-out videos scanned again.

Figures per round, over the held-out videos: event recall, region precision (a region and an event match
one to one when they overlap, greedily by overlap), share of the timeline flagged, and the median error of
the matched regions' edges (start and end) against the sound's extent.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_sounds import DEFAULT_CACHE, SCENARIOS, BenchVideo, scenario_videos

ROOT = Path(__file__).resolve().parents[1]
CLIP_LENGTH = 8.0


def cli(home: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--home", str(home), *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"main.py {' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result.stdout


def match(regions: list[tuple[float, float]], events: list[tuple[float, float]]) -> list[tuple[int, int]]:
    """One-to-one (region, event) pairs that overlap, the largest overlaps first."""
    pairs = sorted(
        (
            (min(r[1], e[1]) - max(r[0], e[0]), i, j)
            for i, r in enumerate(regions)
            for j, e in enumerate(events)
            if min(r[1], e[1]) > max(r[0], e[0])
        ),
        reverse=True,
    )
    used_r, used_e, matched = set(), set(), []
    for _, i, j in pairs:
        if i not in used_r and j not in used_e:
            used_r.add(i)
            used_e.add(j)
            matched.append((i, j))
    return matched


def score(found: dict[str, list[dict]], videos: list[BenchVideo]) -> dict[str, float]:
    events = regions = matched = 0
    flagged = total = 0.0
    edge_errors: list[float] = []
    for video in videos:
        spans = [(r["start"], r["end"]) for r in found.get(str(video.path), [])]
        pairs = match(spans, video.events)
        events += len(video.events)
        regions += len(spans)
        matched += len(pairs)
        flagged += sum(e - s for s, e in spans)
        total += video.duration
        for i, j in pairs:
            edge_errors += [abs(spans[i][0] - video.events[j][0]), abs(spans[i][1] - video.events[j][1])]
    return {
        "recall": matched / max(1, events),
        "precision": matched / regions if regions else 1.0,
        "flagged": flagged / total,
        "edge_error": median(edge_errors) if edge_errors else float("nan"),
        "regions": regions,
        "events": events,
    }


def false_regions(found: dict[str, list[dict]], videos: list[BenchVideo]) -> dict[BenchVideo, list]:
    """The regions a user marks as negatives: those touching no event (a second region on one event is
    a split, not a false alarm: nobody marks a piece of the sound they want as a negative)."""
    return {
        video: [
            (r["start"], r["end"])
            for r in found.get(str(video.path), [])
            if not any(min(r["end"], e) > max(r["start"], s) for s, e in video.events)
        ]
        for video in videos
    }


def run_scenario(scenario, model: str, extra_train: list[str], seed: int) -> list[dict]:
    train, test = scenario_videos(scenario, DEFAULT_CACHE)
    rng = np.random.default_rng(seed)
    rounds = []
    with tempfile.TemporaryDirectory(prefix="foleycut-detect-") as tmp:
        home, folder = Path(tmp) / "home", Path(tmp) / "clips" / f"mp4_{scenario.name}"
        for video in train:
            cursors = [max(0.0, s - float(rng.uniform(0.5, 4.0))) for s, _ in video.events]
            cli(
                home,
                "export",
                str(video.path),
                *[f"--at={t:.3f}" for t in cursors],
                "--folder",
                str(folder),
                "--length",
                str(CLIP_LENGTH),
                "--short-side",
                "90",
            )
        for round_name in ("before", "after"):
            cli(home, "train", "--positive", folder.name, "--model", model, "--name", scenario.name, *extra_train)
            scanned = json.loads(
                cli(home, "scan", *[str(v.path) for v in train + test], "--classifier", scenario.name, "--json")
            )
            rounds.append({"scenario": scenario.name, "round": round_name, **score(scanned, test)})
            if round_name == "before":
                for video, spans in false_regions(scanned, train).items():
                    for start, end in spans:
                        cli(
                            home,
                            "negatives",
                            "add",
                            str(video.path),
                            "--region",
                            f"{start:.3f}",
                            f"{end:.3f}",
                            "--model",
                            model,
                        )
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", choices=[s.name for s in SCENARIOS])
    parser.add_argument("--model", default="MEL")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-arg", action="append", default=[], help="extra argument for `main.py train`")
    args = parser.parse_args()
    os.environ.pop("FOLEYCUT_HOME", None)
    print(
        f"{'scenario':11s} {'round':6s} {'recall':>6s} {'precision':>9s} {'flagged':>8s} {'edge err':>8s}  "
        "regions/events"
    )
    for scenario in SCENARIOS:
        if args.scenario and scenario.name not in args.scenario:
            continue
        for r in run_scenario(scenario, args.model, args.train_arg, args.seed):
            print(
                f"{r['scenario']:11s} {r['round']:6s} {r['recall']:6.2f} {r['precision']:9.2f} "
                f"{r['flagged']:8.1%} {r['edge_error']:7.2f}s  {r['regions']}/{r['events']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
