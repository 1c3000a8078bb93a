"""How well find-similar lists the other occurrences of a real recorded sound, from one example.

    .venv/bin/python bench/search_quality_bench.py DIR [DIR …] [--queries-per-video 2]

Each DIR is a scenario folder with videos and a `truth.json` (`[{"path", "events": [[start, end], …]}, …]`,
as the detection benchmark's real-sound scenarios write it). Every video's first events in turn are the
example (`--at` the event's start, the default example length); over the scenario's other events, printed:
the share of true occurrences among the top N hits (N = the number of other events) and among the top 2N.
Search's own short windows are compared with clip-length (8 s, 1 s hop) windows in the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.home import DataHome
from core.library_index import LibraryIndex
from core.similarity_search import (
    DEFAULT_EXAMPLE_SECONDS,
    SEARCH_HOP,
    SEARCH_WINDOW,
    example_from_video,
    find_similar,
)

CONFIGURATIONS = (("search windows", SEARCH_WINDOW, SEARCH_HOP), ("clip-length windows", 8.0, 1.0))


def overlaps(start: float, end: float, events) -> bool:
    return any(min(end, e1) - max(start, e0) >= min(end - start, e1 - e0) / 2 for e0, e1 in events)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", type=Path, nargs="+", metavar="DIR")
    parser.add_argument("--queries-per-video", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="foleycut_search_quality_") as tmp:
        home = DataHome.resolve(tmp)
        for folder in args.scenarios:
            truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
            events = {Path(entry["path"]).resolve(): entry["events"] for entry in truth}
            videos = list(events)
            others = sum(map(len, events.values())) - 1
            print(f"\n{folder.name}: {len(videos)} videos, {others + 1} events")
            for name, window, hop in CONFIGURATIONS:
                index = LibraryIndex(home, "MEL", window, hop)
                index.sync(videos)
                top_n, top_2n = [], []
                for video in videos:
                    for e0, _e1 in events[video][: args.queries_per_video]:
                        example = example_from_video(home, video, e0, DEFAULT_EXAMPLE_SECONDS, "MEL", window, hop)
                        regions = find_similar(index, example, 2 * others, only=videos)
                        hits = [overlaps(r.start, r.end, events[r.video]) for r in regions]
                        top_n.append(sum(hits[:others]) / others)
                        top_2n.append(sum(hits) / others)
                print(
                    f"  {name:20s} ({window:g} s every {hop:g} s): true occurrences among the top N "
                    f"{statistics.mean(top_n):.2f} (min {min(top_n):.2f}), found within the top 2N "
                    f"{statistics.mean(top_2n):.2f}, over {len(top_n)} examples"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
