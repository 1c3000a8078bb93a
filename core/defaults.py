"""Defaults met in more than one place (core, the CLI's options, the window's controls), each set once.

A front end shows these as its initial values; core uses them when a caller names none.
"""

from __future__ import annotations

# Classifier windows: what the classifier hears at once, one every hop (seconds).
DEFAULT_WINDOW = 0.5
DEFAULT_HOP = 0.25
# Whole-clip windows (the seed's 8 s every 1 s): what window embeddings and the library index use when a
# caller names no window, and what the scan results panel assumes before a classifier is chosen.
CLIP_WINDOW = 8.0
CLIP_HOP = 1.0

DEFAULT_CLIP_LENGTH = 8.0  # seconds per exported clip
DEFAULT_MARGIN = 30.0  # seconds between an exported clip and the automatic negatives drawn for training
DEFAULT_THRESHOLD = 0.5  # a classifier's operating point when training could not choose one
DEFAULT_TARGET_PRECISION = 0.9  # the precision training's operating point aims at (core.training)
DEFAULT_MERGE_GAP = 2.0  # seconds: one sound interrupted by a short dip stays one clip (Auto)
DEFAULT_RETRAIN_EVERY = 10  # review answers between two retrainings
