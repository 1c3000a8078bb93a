"""Random crop per batch: a share of the clips gets a random portrait or square crop.

The choice is drawn from a generator seeded with the clip's file stem, so re-exporting a clip (same name)
gives it the same crop again, and exporting the same batch twice is reproducible.
"""

from __future__ import annotations

import random

RANDOM_RATIOS = ("9:16", "4:5", "1:1")


def random_crop(stem: str, share: float) -> tuple[str, float] | None:
    """(ratio, horizontal centre 0–1) for clip `stem`, or None when it keeps the batch's own crop.
    `share` is the percentage (0–100) of clips that get a random crop."""
    if share <= 0:
        return None
    rng = random.Random(f"foleycut-random-crop:{stem}")  # str seeds hash with SHA-512: stable across runs
    if rng.random() * 100 >= share:
        return None
    return rng.choice(RANDOM_RATIOS), round(rng.uniform(0.0, 1.0), 3)
