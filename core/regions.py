"""Turning per-window probabilities into regions of the timeline.

A window starting at `t` covers `[t, t + window]`. Windows scoring at or above the threshold are fused
when they overlap or touch (or lie at most `merge_gap` apart) into one region spanning them all, scored
with the best window inside it; regions shorter than `min_length` are dropped.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class Region:
    start: float
    end: float
    score: float

    @property
    def length(self) -> float:
        return self.end - self.start


def fuse_windows(times: Sequence[float], probs: Sequence[float], window: float, threshold: float,
                 min_length: float = 0.0, merge_gap: float = 0.0) -> list[Region]:
    times = np.asarray(times, dtype=float)
    probs = np.asarray(probs, dtype=float)
    if times.shape != probs.shape:
        raise ValueError(f"{times.size} window times but {probs.size} probabilities")
    hits = probs >= threshold
    order = np.argsort(times[hits], kind="stable")
    starts, scores = times[hits][order], probs[hits][order]

    regions: list[Region] = []
    for start, score in zip(starts.tolist(), scores.tolist()):
        end = start + window
        if regions and start <= regions[-1].end + merge_gap:
            last = regions[-1]
            regions[-1] = Region(last.start, max(last.end, end), max(last.score, score))
        else:
            regions.append(Region(start, end, score))
    return [region for region in regions if region.length >= min_length]
