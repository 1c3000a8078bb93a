"""From the command line only, as a user would: export positives, train a MEL classifier, scan held-out videos."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.classifier_store import list_versions
from core.home import DataHome
from tests.scan_scenario import BURST, SCENES, TRAINING, clip_start, scene_videos

ROOT = Path(__file__).resolve().parents[1]


def main_py(home: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "main.py", "--home", str(home), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        check=False,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_cli_trains_on_exported_clips_and_scan_json_finds_held_out_events(tmp_path_factory, tmp_path):
    videos = scene_videos(tmp_path_factory)
    home, folder = tmp_path / "home", tmp_path / "exports" / "mp4_Tone"
    for name in TRAINING:
        times = [f"--at={clip_start(event):.1f}" for event in SCENES[name].targets]
        exported = main_py(home, "export", videos[name], *times, "--folder", folder)
        assert exported.returncode == 0, exported.stderr

    trained = main_py(home, "train", "--positive", "mp4_Tone", "--model", "MEL", "--name", "tone", "--margin", "10")
    assert trained.returncode == 0, trained.stderr
    assert "positive clips 6" in trained.stdout

    held_out = [videos["held_out"], videos["chords_held_out"]]
    scanned = main_py(home, "scan", *held_out, "--classifier", "tone", "--json")
    assert scanned.returncode == 0, scanned.stderr
    found = json.loads(scanned.stdout)
    assert list(found) == [str(video) for video in held_out]

    scene = SCENES["held_out"]
    regions = found[str(videos["held_out"])]
    assert all(any(_marks(r, event) for r in regions) for event in scene.targets)
    assert len(regions) == len(scene.targets)  # nothing else: not the 500 Hz bursts, not the noise
    threshold = list_versions(DataHome.resolve(home), "tone")[0].threshold  # the operating point training chose
    assert all(threshold <= r["score"] <= 1.0 for r in regions)
    assert all(r["end"] - r["start"] < 2.0 for r in regions)  # where the 0.6 s burst is, not a clip's length
    target = SCENES["chords_held_out"].targets[0]
    assert any(_marks(r, target) for r in found[str(videos["chords_held_out"])])


def _marks(region: dict, event: float) -> bool:
    return region["start"] < event + BURST and event < region["end"]
