"""MEL needs neither torch nor transformers: training, scanning and rescanning from the command line load
neither (each would cost seconds and hundreds of MB per process), nor pytest (megabytes for nothing).
Scans score with the classifier's compact form: they do not import scikit-learn or skops either."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.db import ProcessedDB
from core.home import DataHome
from tests.scan_scenario import add_training_clips, scene_videos

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "pytest")  # pytest: scikit-learn's test helpers, pulled in by skops
TRAINING_ONLY = ("sklearn", "skops")
# runs main.py's CLI, then reports on stderr's last line which heavy modules the process ended up holding
_CLI_THEN_MODULES = (
    "import json, sys\n"
    "from main import main\n"
    "code = main(sys.argv[1:])\n"
    f"print(json.dumps(sorted(m for m in {HEAVY + TRAINING_ONLY!r} if m in sys.modules)), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    return scene_videos(tmp_path_factory)


def run_cli(home: DataHome, *args) -> tuple[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _CLI_THEN_MODULES, "--home", str(home.root), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        check=False,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.slow
def test_mel_train_scan_and_rescan_load_no_torch_transformers_or_pytest_and_scans_no_sklearn(tmp_path, videos):
    home = DataHome.resolve(tmp_path / "home")
    with ProcessedDB(home.db_path) as db:
        add_training_clips(db, tmp_path, videos)

    _out, loaded = run_cli(home, "train", "--positive", "mp4_Tone", "--name", "tone", "--margin", "10")
    assert set(loaded) <= set(TRAINING_ONLY), "train"
    held_out = videos["held_out"]
    first, loaded = run_cli(home, "scan", held_out, "--classifier", "tone", "--json")
    assert loaded == [], "scan"
    again, loaded = run_cli(home, "scan", held_out, "--classifier", "tone", "--json")  # from the cache
    assert loaded == [], "rescan"
    assert json.loads(again) == json.loads(first) and json.loads(first)[str(held_out)]
