"""Find similar sounds across the library: an example (a time range of a video, or a clip file) -> the
closest windows in the library index -> one region per occurrence, ranked by similarity.

Needs no classifier. Search runs on short windows of its own (`SEARCH_WINDOW` every `SEARCH_HOP`, apart
from the classifier's clip-length ones): on the real-sound scenarios a 0.5 s window every 0.25 s put
0.77 true occurrences among the top hits where 8 s windows put 0.10 (bench/search_quality_bench.py),
since a short sound is most of a short window and a small part of a long one. The query is the example's
most salient window (the one standing out most from its background, `core.library_index.salience`) with
the windows overlapping it, each library window scoring its best similarity to any of them; so an example
range a little wider than the sound still queries the sound, and a short sound matches whichever phase a
window catches it in. Hits of the same file closer than `SEPARATION` belong to one occurrence and are fused
into the best of them (non-maximum suppression); the example is never listed.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import FoleycutError
from core.home import DataHome
from core.library_index import LibraryIndex, WindowHit, foreground, salience
from core.progress import Progress

SEARCH_WINDOW = 0.5  # seconds
SEARCH_HOP = 0.25
DEFAULT_EXAMPLE_SECONDS = 1.0  # from the cursor: the sound starting there
SEPARATION = 2.0  # hits closer than this in one file are one occurrence
CANDIDATES_PER_HIT = 4  # windows fetched per wanted region, beyond the neighbours fused into it
MIN_CANDIDATES = 2000


def open_index(home: DataHome, model: str) -> LibraryIndex:
    """The library index search uses for `model` (its own short windows)."""
    return LibraryIndex(home, model, SEARCH_WINDOW, SEARCH_HOP)


@dataclass(frozen=True)
class Example:
    """What to look for: query foregrounds, and where they came from (excluded from the results)."""

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


def example_from_video(
    home: DataHome,
    video,
    start: float,
    length: float = DEFAULT_EXAMPLE_SECONDS,
    model: str = "MEL",
    window: float = SEARCH_WINDOW,
    hop: float = SEARCH_HOP,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Example:
    """The most salient window of `video` overlapping [start, start + length] (a sound at the cursor may
    begin between two window starts)."""
    from core.window_embeddings import embed_file

    video = Path(video).resolve()
    if not video.is_file():
        raise FoleycutError(f"No such video: {video}; check the path.")
    if length <= 0:
        raise FoleycutError(f"The example length {length:g} s must be positive.")
    embeddings = embed_file(video, model, home, window, hop, progress=progress, cancel=cancel)
    if not 0 <= start < embeddings.duration:
        raise FoleycutError(
            f"{start:g} s lies outside {video.name} (0 to {embeddings.duration:.1f} s): give a time inside the video."
        )
    end = min(start + length, embeddings.duration)
    times = embeddings.times
    inside = np.flatnonzero((times < end - 1e-6) & (times + window > start + 1e-6))
    if len(inside) == 0:  # the range lies past the last whole window
        inside = np.array([len(times) - 1])
    foregrounds = foreground(embeddings.vectors, hop)
    chosen = _around(inside[salience(foregrounds)[inside].argmax()], window, hop, len(times))
    return Example(
        foregrounds[chosen], video, min(start, times[chosen.start]), max(end, times[chosen.stop - 1] + window)
    )


def example_from_clip(
    home: DataHome, clip, model: str = "MEL", window: float = SEARCH_WINDOW, hop: float = SEARCH_HOP
) -> Example:
    """An exported clip (or any sound file) as the example: the most salient window of its audio (padded
    with silence to one window when shorter), embedded as the library is."""
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
    foregrounds = foreground(embeddings.vectors, hop)
    return Example(
        foregrounds[_around(int(salience(foregrounds).argmax()), window, hop, len(foregrounds))], None, 0.0, 0.0
    )


def _around(best: int, window: float, hop: float, count: int) -> slice:
    """The best window and those overlapping it: the sound at every phase the library's windows may
    catch it in (a 0.1 s impact at the end of one window is in the middle of the next)."""
    reach = max(0, math.ceil(window / hop) - 1)
    return slice(max(0, best - reach), min(count, best + reach + 1))


def find_similar(
    index: LibraryIndex, example: Example, top: int = 20, only: Sequence | None = None
) -> list[SimilarRegion]:
    """The `top` occurrences in the library most similar to the example, best first."""
    if top <= 0:
        raise FoleycutError(f"--top {top} must be at least 1.")
    per_hit = math.ceil(2 * max(index.window, SEPARATION) / index.hop) + CANDIDATES_PER_HIT
    hits = index.search(example.vectors, max(MIN_CANDIDATES, top * per_hit), only)
    return fuse_hits(hits, index.window, example, top, SEPARATION)


def fuse_hits(
    hits: list[WindowHit],
    window: float,
    example: Example | None = None,
    top: int | None = None,
    separation: float = 0.0,
) -> list[SimilarRegion]:
    """Non-maximum suppression: best window first; every window of the same file closer to a kept one than
    the window length (or `separation`, when longer) is fused into it."""
    radius = max(window, separation)
    kept: dict[Path, list[float]] = {}
    regions: list[SimilarRegion] = []
    for hit in sorted(hits, key=lambda h: -h.score):
        if (
            example is not None
            and example.video == hit.path
            and _overlaps(hit.start, window, example.start, example.end)
        ):
            continue
        starts = kept.setdefault(hit.path, [])
        if any(abs(hit.start - other) < radius - 1e-6 for other in starts):
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
