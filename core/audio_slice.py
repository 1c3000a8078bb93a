"""Extract audio: an exact-length WAV slice of a video's sound, sample for sample.

The slice holds exactly round(length * rate) samples, at the source's sample rate unless another is asked
for. As for clips, the input seek lands a second early and a trim filter cuts from there, because AAC
decoded right at a seek point comes out a few milliseconds misplaced; the sample count is then cut
exactly and checked in the written file, which takes its final name only when complete.
"""

from __future__ import annotations

import math
import wave
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from core.atomic_write import replacing
from core.errors import FoleycutError
from core.ffmpeg import file_url, last_error_line, run_ffmpeg
from core.probe import MediaError, probe

PREROLL_S = Fraction(1)


@dataclass(frozen=True)
class AudioSlice:
    path: Path
    start: float
    rate: int
    samples: int

    @property
    def length(self) -> float:
        return self.samples / self.rate


def slice_samples(length: float, rate: int) -> int:
    """How many samples a slice of `length` seconds holds at `rate` Hz."""
    return round(Fraction(repr(float(length))) * rate)


def extract_audio(video: Path, at: float, length: float, out: Path, rate: int | None = None) -> AudioSlice:
    """Write `length` seconds of `video`'s first audio track from `at` seconds to the WAV file `out`
    (16-bit PCM, the source's channels), replacing it whole if it exists."""
    video, out = Path(video), Path(out)
    media = probe(video)
    if not media.has_audio:
        raise MediaError(f"{video.name} has no audio track: choose a video with sound.")
    rate = rate or media.audio_rate
    if not rate or rate <= 0:
        raise FoleycutError(f"The sample rate of {video.name} is unknown: give one with --rate (e.g. 48000).")
    if not (math.isfinite(length) and length > 0):
        raise FoleycutError(f"Audio slice length {length} s must be a positive number.")
    if not 0 <= at or at + length > media.duration + 1e-6:
        raise FoleycutError(
            f"A {length:g} s slice from {at:.3f} s does not fit in {video.name} "
            f"(0–{media.duration:.3f} s): choose an earlier time or a shorter length."
        )
    samples = slice_samples(length, rate)
    start = Fraction(repr(float(at)))
    seek = max(Fraction(0), start - PREROLL_S)
    chain = f"atrim=start={float(start - seek):.6f},asetpts=PTS-STARTPTS,aresample={rate},atrim=end_sample={samples}"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with replacing(out, suffix=".part.wav") as temp:
            done = run_ffmpeg(
                [
                    "-y",
                    *(["-ss", f"{float(seek):.6f}"] if seek else []),
                    "-i",
                    file_url(video),
                    "-map",
                    "0:a:0",
                    "-af",
                    chain,
                    "-c:a",
                    "pcm_s16le",
                    "-f",
                    "wav",
                    file_url(temp),
                ]
            )
            if done.returncode != 0:
                raise FoleycutError(
                    f"ffmpeg could not extract the audio of {video.name} ({last_error_line(done.stderr)}): "
                    "check free space and write access where the WAV goes."
                )
            got = _wav_samples(temp)
            if got != samples:
                raise FoleycutError(
                    f"Only {got} of {samples} samples could be read from {video.name} at {at:.3f} s: the "
                    "audio track ends early or is damaged there; choose an earlier time."
                )
    except OSError as exc:
        raise FoleycutError(f"Could not write {out} ({exc.strerror or exc}): choose a writable place.") from exc
    return AudioSlice(out, float(start), rate, samples)


def _wav_samples(path: Path) -> int:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes()
