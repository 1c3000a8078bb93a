"""A small sound library for the search tests: WAV files (decoded like any video's audio track, and made
in milliseconds) with a target sound planted at known times among distractors.

The target is a 1.0 s 1200 Hz tone burst. Distractors: 500 Hz bursts, 3000 Hz bursts, and noise bursts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.media_factory import SR, tone_burst_track, write_wav

SECONDS = 100.0
BURST = 1.0
LIBRARY = {  # name: (target times, distractor times)
    "a": ([20.0, 70.0], [45.0]),
    "b": ([15.0, 50.0], [30.0, 80.0]),
    "c": ([], [20.0, 60.0]),
    "d": ([35.0], [10.0, 75.0]),
}


def library_track(targets, distractors, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 100)
    track = (
        tone_burst_track(SECONDS, targets, freq=1200, burst=BURST, noise=0.02, seed=seed)
        + tone_burst_track(SECONDS, distractors, freq=500, burst=BURST, noise=0.0, seed=seed)
        + tone_burst_track(SECONDS, [t + 4 for t in distractors], freq=3000, burst=BURST, noise=0.0, seed=seed)
    )
    for t in distractors:  # a noise burst too
        i = int((t + 8) * SR)
        track[i : i + SR] += (rng.standard_normal(SR) * 0.1).astype(np.float32)
    return track


def make_library(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {
        name: write_wav(folder / f"{name}.wav", library_track(targets, distractors, seed))
        for seed, (name, (targets, distractors)) in enumerate(LIBRARY.items())
    }


def planted(name: str) -> list[float]:
    return LIBRARY[name][0]


def covers(start: float, end: float, event: float) -> bool:
    """A hit on the event: at least half of the shorter of the two overlap."""
    return min(end, event + BURST) - max(start, event) >= min(end - start, BURST) / 2
