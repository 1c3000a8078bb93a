"""Labels to a good detector: a simulated user who answers from the ground truth starts from ONE example and
uses find-similar and the review queue; how many answers until the classifier reaches event recall >= 0.95
and region precision >= 0.90 on held-out videos, beside the answers today's loop needs (one exported clip
per event + one round of hard negatives on the scan's false positives).

    .venv/bin/python bench/simulated_user_bench.py [--scenarios DIR …] [--retrain-every 5] [--budget 80]
        [--example 0 …] [--model MEL]

A scenario is anything with the `Scenario` fields below. `--scenarios` reads folders holding videos and a
`truth.json` (`[{"path", "events": [[start, end], …]}, …]`, as the real-sound scenarios of the detection
benchmark write them): the first half of the videos is the library, the rest held out. Without it, one
generated scenario (tone bursts among other tones) checks the loop end to end; its figures say nothing
about real recorded sounds. Everything runs through core functions, as the window does: `find_similar`,
`ReviewSession.answer` (accept = a real export, reject = a hard negative), `ReviewSession.retrain`,
`rank_with_classifier`. `--model` runs the same user on another embedding model (its weights in
`$FOLEYCUT_<NAME>_DIR` or downloadable: the bench's data home is a temporary folder); `--example` with
several numbers starts once from each of those events.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.classifier_store import LoadedClassifier, load_classifier
from core.db import ProcessedDB
from core.errors import FoleycutError
from core.export import ExportSettings, export_marker
from core.home import DataHome
from core.model_registry import get_spec
from core.review_queue import ACCEPT, REJECT, ReviewSession
from core.scanning import negative_times_for_region, score_file
from core.similarity_search import DEFAULT_EXAMPLE_SECONDS, example_from_video, find_similar, open_index
from core.training import TrainingOptions, train_classifier

CLIP_LENGTH = 8.0
RECALL_GOAL, PRECISION_GOAL = 0.95, 0.90


@dataclass(frozen=True)
class Scenario:
    name: str
    library: list[Path]  # videos the user searches and reviews
    held_out: list[Path]  # videos the detector is judged on
    events: dict[Path, list[tuple[float, float]]]  # ground truth (start, end) per video, both sets
    example: tuple[Path, float]  # the one example: a video of the library and an event's start in it


def load_scenarios(workdir: Path, folders: list[Path]) -> list[Scenario]:
    return [scenario_from_truth(f) for f in folders] if folders else [generated_scenario(workdir)]


def starting_from(scenario: Scenario, example: int) -> Scenario:
    """The scenario whose one example is the `example`th event of the library (in video, then time order)."""
    library_events = [(video, start) for video in scenario.library for start, _ in scenario.events[video]]
    return replace(scenario, example=library_events[example % len(library_events)])


def scenario_from_truth(folder: Path) -> Scenario:
    """The scenario of a truth.json folder, starting from the library's first event."""
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    videos = [Path(entry["path"]).resolve() for entry in truth]
    events = {Path(entry["path"]).resolve(): [tuple(event[:2]) for event in entry["events"]] for entry in truth}
    half = len(videos) // 2
    return Scenario(folder.name, videos[:half], videos[half:], events, (videos[0], events[videos[0]][0][0]))


def generated_scenario(workdir: Path) -> Scenario:
    from tests.media_factory import make_video, tone_burst_track

    rng = np.random.default_rng(0)
    events, videos = {}, []
    for number in range(6):
        seconds = 180.0
        targets = sorted(rng.choice(np.arange(10, 170, 20), 3, replace=False).astype(float) + rng.uniform(0, 5, 3))
        others = [t + 10 for t in targets]
        track = (
            tone_burst_track(seconds, targets, freq=1200, burst=1.0, noise=0.02, seed=number)
            + tone_burst_track(seconds, others, freq=700, burst=1.0, noise=0.0, seed=number)
            + tone_burst_track(seconds, [t + 5 for t in targets], freq=2400, burst=1.0, noise=0.0, seed=number)
        )
        video = make_video(workdir / f"scene_{number}.mp4", seconds, audio=track, size=(32, 24), fps=2)
        videos.append(video.resolve())
        events[video.resolve()] = [(t, t + 1.0) for t in targets]
    return Scenario(
        "generated tones (loop check, not real sounds)",
        videos[:4],
        videos[4:],
        events,
        (videos[0], events[videos[0]][0][0]),
    )


AUDIBLE = 0.05  # seconds of a sound inside a hit that a listener hears (a droplet's onset is shorter)


def has_event(scenario: Scenario, video: Path, start: float, end: float) -> bool:
    """The simulated user's answer: the hit holds an audible part of an event (`AUDIBLE`, or the whole of
    a shorter one). The review queue plays a hit from its start on: a half-second hit whose last 0.09 s
    hold a droplet's onset sounds like the droplet to a listener, and accepting it cuts a clip holding the
    whole sound."""
    return any(
        min(end, e1) - max(start, e0) >= min(AUDIBLE, e1 - e0) for e0, e1 in scenario.events[Path(video).resolve()]
    )


def scan_regions(home: DataHome, loaded: LoadedClassifier, video: Path) -> list:
    """The regions a scan with the classifier's own threshold shows (the product's scoring and fusing)."""
    return score_file(home, video, loaded).regions(loaded.meta.threshold)


def evaluate(home: DataHome, classifier: str, scenario: Scenario) -> tuple[float, float]:
    """Event recall (an event touched by a region) and region precision (a region touching an event) of
    the classifier's scan of the held-out videos."""
    loaded = load_classifier(home, classifier)
    found = total = good = regions_count = 0
    for video in scenario.held_out:
        regions = scan_regions(home, loaded, video)
        events = scenario.events[video]
        total += len(events)
        found += sum(any(r.start < e1 and e0 < r.end for r in regions) for e0, e1 in events)
        regions_count += len(regions)
        good += sum(any(r.start < e1 and e0 < r.end for e0, e1 in events) for r in regions)
    return found / max(1, total), good / regions_count if regions_count else 0.0


def simulated_user(
    scenario: Scenario, root: Path, retrain_every: int, budget: int, model: str = "MEL"
) -> tuple[int | None, list]:
    home = DataHome.resolve(root / "home_search")
    trail = []
    with ProcessedDB(home.db_path) as db:
        settings = ExportSettings(
            name="target", export_folder=root / "export_search" / "mp4_Target", length=CLIP_LENGTH, count=1
        )
        session = ReviewSession(db, home, "default", settings, model, retrain_every=retrain_every)
        index = open_index(home, model)
        index.sync(scenario.library)
        video, at = scenario.example
        example = example_from_video(home, video, at, DEFAULT_EXAMPLE_SECONDS, model)
        export_marker(db, video, max(0.0, at - CLIP_LENGTH / 2), settings)  # the example, cut with E: answer one
        session.rank_hits(find_similar(index, example, top=budget, only=scenario.library))
        answers = 1
        while answers < budget and session.current() is not None:
            item = session.current()
            session.answer(ACCEPT if has_event(scenario, item.video, item.start, item.end) else REJECT)
            answers += 1
            if session.due_for_training():
                try:
                    session.retrain()
                except FoleycutError as exc:  # too few of one class yet: keep answering
                    trail.append((answers, str(exc)[:60]))
                    continue
                recall, precision = evaluate(home, session.classifier, scenario)
                trail.append((answers, recall, precision))
                if recall >= RECALL_GOAL and precision >= PRECISION_GOAL:
                    return answers, trail
                session.rank_with_classifier(scenario.library, length=budget)
    return None, trail


def todays_loop(scenario: Scenario, root: Path, model: str = "MEL") -> tuple[int, float, float]:
    """One exported clip per library event, train, scan the library, mark every false-positive region as
    hard negatives (one answer each, as Mark as negative stores it), retrain; answers = clips + regions."""
    home = DataHome.resolve(root / "home_today")
    with ProcessedDB(home.db_path) as db:
        settings = ExportSettings(
            name="target", export_folder=root / "export_today" / "mp4_Target", length=CLIP_LENGTH, count=1
        )
        clips = 0
        for video in scenario.library:
            for e0, e1 in scenario.events[video]:
                export_marker(db, video, max(0.0, (e0 + e1) / 2 - CLIP_LENGTH / 2), settings)
                clips += 1
        options = TrainingOptions(profile="default", positive_folder="mp4_Target", model_name=model, name="today")
        train_classifier(db, home, options)
        negatives = 0
        loaded = load_classifier(home, "today")
        for video in scenario.library:
            for region in scan_regions(home, loaded, video):
                if not any(region.start < e1 and e0 < region.end for e0, e1 in scenario.events[video]):
                    db.add_hard_negatives(
                        video.name,
                        "default",
                        negative_times_for_region(region.start, region.end, loaded.meta.window, loaded.meta.hop),
                        source_path=str(video),
                        source_model=model,
                    )
                    negatives += 1
        train_classifier(db, home, options)
        recall, precision = evaluate(home, "today", scenario)
        return clips + negatives, recall, precision


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenarios",
        type=Path,
        nargs="+",
        default=[],
        metavar="DIR",
        help="scenario folders with truth.json (default: one generated scenario)",
    )
    parser.add_argument("--retrain-every", type=int, default=5)
    parser.add_argument("--budget", type=int, default=80, help="answers before the simulated user gives up")
    parser.add_argument(
        "--example",
        type=int,
        nargs="+",
        default=[0],
        help="which library event is the one example (0: the first of the first video); several: one run each",
    )
    parser.add_argument("--model", default="MEL", help="embedding model (default: MEL)")
    args = parser.parse_args()
    try:
        get_spec(args.model)
    except FoleycutError as exc:
        parser.error(str(exc))
    met = True
    with tempfile.TemporaryDirectory(prefix="foleycut_simulated_user_") as tmp:
        scenarios = load_scenarios(Path(tmp), args.scenarios)
        runs = [(starting_from(scenario, example), example) for example in args.example for scenario in scenarios]
        for number, (scenario, example) in enumerate(runs):
            root = Path(tmp) / f"run_{number}"
            answers, trail = simulated_user(scenario, root, args.retrain_every, args.budget, args.model)
            today, recall, precision = todays_loop(scenario, root, args.model)
            print(
                f"\n{scenario.name} ({args.model}, example {example}): "
                f"{len(scenario.library)} library + {len(scenario.held_out)} held-out videos"
            )
            for step in trail:
                print(
                    f"  after {step[0]} answers: "
                    + (
                        f"recall {step[1]:.2f}, precision {step[2]:.2f}"
                        if len(step) == 3
                        else f"not trained ({step[1]})"
                    )
                )
            print(
                f"  search + review queue: {answers if answers is not None else 'goal not reached in'} "
                f"{'answers' if answers is not None else f'{args.budget} answers'}"
            )
            print(
                f"  today's loop: {today} answers (clips + hard negatives) -> recall {recall:.2f}, "
                f"precision {precision:.2f}"
            )
            met &= answers is not None and answers <= 40
    print(f"\ngoal (<= 40 answers on every scenario): {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except FoleycutError as exc:  # a model whose weights are neither in the data home nor downloadable
        sys.exit(f"simulated_user_bench: {exc}")
