"""Where people speak in a video: a voice-activity model run over its audio, for the timeline's speech
band and, optionally, to leave speech out of scans.

The model is Silero VAD, whose ONNX weights ship inside the `silero-vad` Python package (MIT), so it works
offline with nothing to download. The package's own Python front end imports torch; here only its
weights file is located (`importlib.util.find_spec` finds the package without importing it) and run with
onnxruntime, so nothing on this path imports torch. The "sequence" export takes a block of 32 ms frames
(512 samples, each with the 64 before it as context) per call and carries the LSTM state between blocks:
a 10-minute file is a few dozen calls. Audio is streamed (core.audio), never held whole.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from core.atomic_write import write_atomically
from core.audio import SAMPLE_RATE, audio_duration, iter_audio_blocks
from core.errors import FoleycutError
from core.home import DataHome
from core.progress import Progress, check_cancel

FRAME = 512  # samples per model frame at 16 kHz: 32 ms
CONTEXT = 64  # samples of the previous frame each frame is given
BLOCK_FRAMES = 512  # frames per model call (16 s)
FRAME_SECONDS = FRAME / SAMPLE_RATE
MODEL_FILE = "silero_vad_16k_sequence.onnx"
CACHE_FORMAT = 1
# Segmenting: speech starts at THRESHOLD, lasts while the probability stays above THRESHOLD - 0.15, ends
# after MIN_SILENCE below it; shorter bursts than MIN_SPEECH are dropped; each segment is padded by PAD.
THRESHOLD, HYSTERESIS, MIN_SPEECH, MIN_SILENCE, PAD = 0.5, 0.15, 0.25, 0.3, 0.1


class SpeechModelMissing(FoleycutError):
    """The silero-vad package (or onnxruntime) is not installed."""


@dataclass(frozen=True)
class SpeechSegment:
    start: float
    end: float
    score: float  # the highest frame probability inside


def model_path() -> Path:
    """The ONNX weights inside the installed silero-vad package (found without importing it)."""
    spec = importlib.util.find_spec("silero_vad")
    locations = spec.submodule_search_locations if spec else None
    path = Path(next(iter(locations))) / "data" / MODEL_FILE if locations else None
    if path is None or not path.is_file():
        raise SpeechModelMissing(
            "Speech detection needs the silero-vad package: run "
            "`.venv/bin/pip install --no-deps silero-vad` (and onnxruntime), then retry."
        )
    return path


class SpeechModel:
    """Frame probabilities of speech for a stream of 16 kHz blocks."""

    def __init__(self):
        try:
            import onnxruntime
        except ImportError as exc:
            raise SpeechModelMissing(
                "Speech detection needs onnxruntime: run `.venv/bin/pip install onnxruntime`, then retry."
            ) from exc
        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = options.intra_op_num_threads = 1  # ffmpeg decodes on the other core
        self._session = onnxruntime.InferenceSession(
            str(model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def probabilities(
        self,
        blocks: Iterable[np.ndarray],
        cancel: threading.Event | None = None,
        on_block: Callable[[float], None] | None = None,
    ) -> np.ndarray:
        """One probability per 32 ms frame (the last frame zero-padded)."""
        hidden = np.zeros((1, 1, 128), np.float32)
        cell = np.zeros((1, 1, 128), np.float32)
        context = np.zeros(CONTEXT, np.float32)
        pending = np.zeros(0, np.float32)
        out: list[np.ndarray] = []
        seconds = 0.0

        def run(samples: np.ndarray) -> None:
            nonlocal hidden, cell, context
            frames = samples.reshape(-1, FRAME)
            contexts = np.vstack([context[None], frames[:-1, -CONTEXT:]])
            probs, hidden, cell = self._session.run(
                ["speech_probs", "hn", "cn"],
                {"input": np.hstack([contexts, frames]).astype(np.float32), "h": hidden, "c": cell},
            )
            context = frames[-1, -CONTEXT:].copy()
            out.append(np.asarray(probs, np.float32).reshape(-1))

        for block in blocks:
            check_cancel(cancel)
            pending = np.concatenate([pending, np.asarray(block, np.float32)])
            whole = len(pending) // (FRAME * BLOCK_FRAMES) * FRAME * BLOCK_FRAMES
            if whole:
                for lo in range(0, whole, FRAME * BLOCK_FRAMES):
                    run(pending[lo : lo + FRAME * BLOCK_FRAMES])
                pending = pending[whole:]
            seconds += len(block) / SAMPLE_RATE
            if on_block is not None:
                on_block(seconds)
        if len(pending):
            padded = np.zeros(-(-len(pending) // FRAME) * FRAME, np.float32)
            padded[: len(pending)] = pending
            run(padded)
        return np.concatenate(out) if out else np.zeros(0, np.float32)


def segments_from_probabilities(probabilities: ArrayLike, duration: float | None = None) -> list[SpeechSegment]:
    """Speech segments (seconds) from frame probabilities, with hysteresis, minimum lengths and padding."""
    probs = np.asarray(probabilities, float)
    end_of_audio = len(probs) * FRAME_SECONDS if duration is None else duration
    segments: list[list[float]] = []  # [first frame, last frame, best]
    start, silent_since, best = None, None, 0.0
    for index, p in enumerate(probs):
        if start is None:
            if p >= THRESHOLD:
                start, silent_since, best = index, None, p
            continue
        best = max(best, p)
        if p >= THRESHOLD - HYSTERESIS:
            silent_since = None
        elif silent_since is None:
            silent_since = index
        elif (index - silent_since) * FRAME_SECONDS >= MIN_SILENCE:
            segments.append([start, silent_since, best])
            start, silent_since = None, None
    if start is not None:
        segments.append([start, silent_since if silent_since is not None else len(probs), best])
    found = [
        SpeechSegment(
            max(0.0, first * FRAME_SECONDS - PAD), min(end_of_audio, last * FRAME_SECONDS + PAD), round(float(score), 4)
        )
        for first, last, score in segments
        if (last - first) * FRAME_SECONDS >= MIN_SPEECH
    ]
    merged: list[SpeechSegment] = []  # padding may make neighbours touch
    for segment in found:
        if merged and segment.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = SpeechSegment(last.start, max(last.end, segment.end), max(last.score, segment.score))
        else:
            merged.append(segment)
    return merged


def detect_speech(
    path, home: DataHome | None = None, progress: Progress | None = None, cancel: threading.Event | None = None
) -> list[SpeechSegment]:
    """The speech segments of a media file's audio; cached per (path, size, mtime) in the data home."""
    path = Path(path)
    cache = _cache_file(home, path) if home is not None else None
    if cache is not None:
        cached = _read_cache(cache, path)
        if cached is not None:
            return cached
    model = SpeechModel()
    expected = audio_duration(path)
    report = (
        (lambda seconds: progress(min(1.0, seconds / max(expected, 1e-6)), "Finding speech"))
        if progress is not None
        else None
    )
    probs = model.probabilities(iter_audio_blocks(path, 10.0, expected_seconds=expected), cancel, report)
    segments = segments_from_probabilities(probs, expected)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        stat = path.stat()
        write_atomically(
            cache,
            json.dumps(
                {
                    "format": CACHE_FORMAT,
                    "path": str(path.resolve()),
                    "size": stat.st_size,
                    "mtime_ns": stat.st_mtime_ns,
                    "segments": [[s.start, s.end, s.score] for s in segments],
                }
            ).encode("utf-8"),
        )
    return segments


def speech_overlap(start: float, end: float, segments: Sequence[SpeechSegment]) -> float:
    """The share of [start, end] that lies in speech."""
    if end <= start:
        return 0.0
    inside = sum(max(0.0, min(end, s.end) - max(start, s.start)) for s in segments)
    return min(1.0, inside / (end - start))


def without_speech(regions: Sequence, segments: Sequence[SpeechSegment], share: float = 0.5) -> list:
    """The regions (anything with start and end) of which less than `share` lies in speech."""
    return [region for region in regions if speech_overlap(region.start, region.end, segments) < share]


def _cache_file(home: DataHome, path: Path) -> Path:
    import hashlib

    slot = hashlib.sha256(json.dumps([CACHE_FORMAT, str(path.resolve())]).encode("utf-8")).hexdigest()[:32]
    return home.root / "cache" / "speech" / f"{slot}.json"


def _read_cache(cache: Path, path: Path) -> list[SpeechSegment] | None:
    try:
        entry = json.loads(cache.read_text("utf-8"))
        stat = path.stat()
        if (entry["format"], entry["size"], entry["mtime_ns"]) != (CACHE_FORMAT, stat.st_size, stat.st_mtime_ns):
            return None
        return [SpeechSegment(float(a), float(b), float(c)) for a, b, c in entry["segments"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or unreadable: computed again and rewritten
