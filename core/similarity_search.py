"""Find similar sounds across the library: an example (a time range of a video, or a clip file) -> the
closest windows in the library index -> one region per occurrence, ranked by similarity.

Needs no classifier. The example's windows are the query (each library window scores its best cosine
similarity to any of them). Windows overlapping a better-scoring window of the same file belong to the
same occurrence and are fused into it (non-maximum suppression over one window length), so a sound that
lights up eight overlapping windows is listed once, at the window matching it best. The example itself
is never listed.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from core.errors import FoleycutError
from core.home import DataHome
from core.library_index import LibraryIndex, WindowHit

Progress = Callable[[float, str], None]
CANDIDATES_PER_HIT = 4  # windows fetched per wanted region, beyond the overlapping ones fused into it
MIN_CANDIDATES = 2000


@dataclass(frozen=True)
class Example:
    """What to look for: query vectors, and where they came from (excluded from the results)."""
    vectors: np.ndarray
    video: Path | None
    start: float
    end: float


@dataclass(frozen=True)
class SimilarRegion:
    video: Path
    start: float
    end: float
    score: float  # cosine similarity of the best window to the example, higher is closer

    def as_json(self) -> dict:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "score": round(self.score, 4)}


def example_from_video(home: DataHome, video, start: float, length: float, model: str, window: float = 8.0,
                       hop: float = 1.0, progress: Progress | None = None,
                       cancel: threading.Event | None = None) -> Example:
    """The windows of `video` inside [start, start + length] (the one centred closest when none fits)."""
    from core.window_embeddings import embed_file

    video = Path(video).resolve()
    if not video.is_file():
        raise FoleycutError(f"No such video: {video}; check the path.")
    if length <= 0:
        raise FoleycutError(f"The example length {length:g} s must be positive.")
    embeddings = embed_file(video, model, home, window, hop, progress=progress, cancel=cancel)
    if not 0 <= start < embeddings.duration:
        raise FoleycutError(f"{start:g} s lies outside {video.name} (0 to {embeddings.duration:.1f} s): "
                            "give a time inside the video.")
    end = min(start + length, embeddings.duration)
    times = embeddings.times
    inside = (times >= start - 1e-6) & (times + window <= end + 1e-6)
    if not inside.any():
        inside = np.zeros(len(times), bool)
        inside[np.abs(times + window / 2 - (start + end) / 2).argmin()] = True
    return Example(embeddings.vectors[inside], video, start, end)


def example_from_clip(home: DataHome, clip, model: str, window: float = 8.0, hop: float = 1.0) -> Example:
    """An exported clip (or any sound file) as the example: its audio, padded with silence to one window
    when shorter, embedded as the library is."""
    from core.audio import SAMPLE_RATE, decode_audio
    from core.embedding_models import load_embedder
    from core.window_embeddings import embed_stream

    clip = Path(clip).resolve()
    if clip.is_dir():  # a WebP-sequence clip: its sound lies beside the frame folder
        clip = clip.with_name(clip.name + ".wav")
    if not clip.is_file():
        raise FoleycutError(f"No such clip: {clip}; check the path.")
    samples = decode_audio(clip)
    wanted = math.ceil(window * SAMPLE_RATE)
    if len(samples) < wanted:
        samples = np.pad(samples, (0, wanted - len(samples)))
    embeddings = embed_stream([samples], load_embedder(model, home), model, window, hop)
    return Example(embeddings.vectors, None, 0.0, 0.0)


def find_similar(index: LibraryIndex, example: Example, top: int = 20,
                 only: Sequence | None = None) -> list[SimilarRegion]:
    """The `top` occurrences in the library most similar to the example, best first."""
    if top <= 0:
        raise FoleycutError(f"--top {top} must be at least 1.")
    per_hit = math.ceil(index.window / index.hop) * 2 + CANDIDATES_PER_HIT
    hits = index.search(example.vectors, max(MIN_CANDIDATES, top * per_hit), only)
    return fuse_hits(hits, index.window, example, top)


def fuse_hits(hits: list[WindowHit], window: float, example: Example | None = None,
              top: int | None = None) -> list[SimilarRegion]:
    """Non-maximum suppression: best window first, every window overlapping a kept one is fused into it."""
    kept: dict[Path, list[float]] = {}
    regions: list[SimilarRegion] = []
    for hit in sorted(hits, key=lambda h: -h.score):
        if example is not None and example.video == hit.path and _overlaps(hit.start, window, example.start,
                                                                          example.end):
            continue
        starts = kept.setdefault(hit.path, [])
        if any(abs(hit.start - other) < window - 1e-6 for other in starts):
            continue
        starts.append(hit.start)
        regions.append(SimilarRegion(hit.path, hit.start, hit.start + window, hit.score))
        if top is not None and len(regions) == top:
            break
    return regions


def _overlaps(start: float, window: float, lo: float, hi: float) -> bool:
    return start < hi - 1e-6 and start + window > lo + 1e-6


def by_video(regions: list[SimilarRegion], videos_as_given: dict[Path, str] | None = None) -> dict[str, list[dict]]:
    """{video: [{start, end, score}]} (the CLI's JSON shape), videos in order of their best hit."""
    out: dict[str, list[dict]] = {}
    for region in regions:
        name = (videos_as_given or {}).get(region.video, str(region.video))
        out.setdefault(name, []).append(region.as_json())
    return out
