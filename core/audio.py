"""Streaming audio decode: any media file -> 16 kHz mono float32, through an ffmpeg pipe.

ffmpeg writes raw little-endian float32 samples to stdout and we read them in fixed-size blocks, so a
3-hour film never sits in memory as a whole (at 16 kHz it would be ~700 MB as float32). `ReadAhead`
reads those blocks in a thread a few blocks ahead of their consumer, so ffmpeg keeps decoding while the
embedder computes instead of the two taking turns.
"""

from __future__ import annotations

import queue
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import final

import numpy as np

from core.errors import FoleycutError
from core.ffmpeg import ffmpeg_command, file_url, last_error_line
from core.probe import MediaError, probe

SAMPLE_RATE = 16000
_BYTES_PER_SAMPLE = 4


class AudioDecodeError(FoleycutError):
    """The file has no usable audio track (missing, empty, no audio stream, unreadable, truncated)."""


def _check_readable(path: Path) -> None:
    if not path.is_file():
        raise AudioDecodeError(f"Cannot read audio: {path} does not exist; check the path.")
    if path.stat().st_size == 0:
        raise AudioDecodeError(f"Cannot read audio: {path.name} is an empty file; re-copy or re-export it.")


def decode_command(path: Path, start: float = 0.0, duration: float | None = None) -> list[str]:
    """The ffmpeg command that writes the audio of `path` (all, or a part) to stdout as 16 kHz mono float32."""
    # The decoder's frames of ~1,000 samples regrouped by 48,000 before the resampler: each frame
    # is a hand-off between ffmpeg's threads (770,000 futex calls for 30 minutes), and the samples are the same
    regroup = "asetnsamples=n=48000:p=0"
    if start > 0 or duration is not None:
        cmd = ["-ss", f"{start:.6f}"] if start > 0 else []  # before -i: fast seek
        cmd += ["-i", file_url(path)]
        if duration is not None:
            cmd += ["-t", f"{duration:.6f}"]
        # -map 0:a:0 makes a file with no audio stream an error instead of silently empty output
        cmd += ["-map", "0:a:0", "-vn", "-sn", "-dn", "-af", regroup]
    else:
        # A whole track is demuxed and decoded by the `amovie` source inside one filter thread: through
        # `-i`, every packet (~85,000 for 30 minutes) would also cross from the demuxer's thread to the
        # decoder's. Same samples, about a third less wall time for ffmpeg on two cores (bench/README.md).
        source = f"amovie=filename={_filter_value(file_url(path))}:streams={_filter_value('a:0')}"
        cmd = ["-f", "lavfi", "-i", f"{source},{regroup}"]
    cmd += ["-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1"]
    return ffmpeg_command(cmd)


def _filter_value(text: str) -> str:
    """`text` as a filter option's value inside a filtergraph: escaped for the option parser (which
    splits at `:`), then that for the graph parser (which splits at `,;[]`)."""

    def escaped(value: str, special: str) -> str:
        return "".join("\\" + char if char in special else char for char in value)

    return escaped(escaped(text, "\\':"), "\\'[],;")


def _failure_message(path: Path, stderr: str) -> str:
    if "matches no streams" in stderr or "does not contain any stream" in stderr or not _has_audio(path):
        return f"{path.name} has no audio track; pick a video with sound."
    return f"Cannot decode audio of {path.name} ({last_error_line(stderr)}); the file may be damaged or truncated."


def iter_audio_blocks(
    path,
    block_seconds: float = 60.0,
    start: float = 0.0,
    duration: float | None = None,
    expected_seconds: float | None = None,
) -> Iterator[np.ndarray]:
    """Yield consecutive float32 mono 16 kHz blocks of `block_seconds` (the last one shorter).

    Raises AudioDecodeError (after the good blocks) when ffmpeg fails, when no sample at all comes out,
    or when the audio ends well before `expected_seconds` (what the container announces): a file cut
    short by an interrupted copy or download decodes without complaint up to the cut.
    Stopping the iteration early kills ffmpeg.
    """
    path = Path(path)
    _check_readable(path)
    block_bytes = max(1, int(block_seconds * SAMPLE_RATE)) * _BYTES_PER_SAMPLE
    # stderr goes to a file: a damaged file can log more than a pipe buffer holds and stall ffmpeg
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(decode_command(path, start, duration), stdout=subprocess.PIPE, stderr=errors)
        assert proc.stdout is not None  # stdout=PIPE
        produced = 0
        try:
            while True:
                data = proc.stdout.read(block_bytes)
                usable = len(data) - len(data) % _BYTES_PER_SAMPLE
                if usable:
                    produced += usable
                    yield np.frombuffer(data[:usable], dtype="<f4").astype(np.float32)
                if len(data) < block_bytes:
                    break
            returncode = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if returncode != 0 or produced == 0:
            errors.seek(0)
            stderr = errors.read().decode("utf-8", "replace")
            if returncode == 0:
                raise AudioDecodeError(f"{path.name} contains no decodable audio; pick a video with sound.")
            raise AudioDecodeError(_failure_message(path, stderr))
        decoded = produced / _BYTES_PER_SAMPLE / SAMPLE_RATE
        if expected_seconds is not None and decoded < expected_seconds - truncation_tolerance(expected_seconds):
            raise AudioDecodeError(
                f"{path.name} looks truncated: its audio stops at {decoded:.1f} s of the {expected_seconds:.1f} s "
                "its header announces; copy or download the complete file again."
            )


def _has_audio(path: Path) -> bool:
    """False only when the file is readable and has no audio stream (`amovie` does not log that)."""
    try:
        return probe(path).has_audio
    except MediaError:
        return True  # unreadable: ffmpeg's own message says more


def truncation_tolerance(expected_seconds: float) -> float:
    """How much shorter than the container's duration a complete audio track may decode: codec priming,
    a video stream outlasting the audio by a little."""
    return 2.0 + 0.05 * expected_seconds


@final  # not meant to be subclassed, so __enter__ can name the class (typing.Self needs Python 3.11)
class ReadAhead:
    """Iterate `blocks` in a background thread, at most `max_blocks` ahead of the consumer.

    The bounded queue is the back-pressure: when the consumer falls behind, the thread (and so ffmpeg)
    waits, and memory stays at `max_blocks` blocks. An exception from `blocks` is raised to the consumer
    in order, after the blocks before it. `close()` (or leaving the `with`) stops and closes `blocks`.
    """

    _DONE = object()

    def __init__(self, blocks: Iterator[np.ndarray], max_blocks: int = 4):
        self._blocks = blocks
        self._queue: queue.Queue = queue.Queue(maxsize=max_blocks)
        self._stop = threading.Event()
        self._finished = False
        self._thread = threading.Thread(target=self._produce, name="audio-read-ahead", daemon=True)
        self._thread.start()

    def _produce(self) -> None:
        try:
            for block in self._blocks:
                if not self._put(block):
                    break
            else:
                self._put(self._DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            self._put(exc)
        finally:
            close = getattr(self._blocks, "close", None)
            if close is not None:
                close()  # a generator's finally runs here: it stops ffmpeg

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> ReadAhead:
        return self

    def __next__(self) -> np.ndarray:
        if self._finished:
            raise StopIteration
        item = self._queue.get()
        if item is self._DONE or isinstance(item, BaseException):
            self._finished = True
            self.close()
            if isinstance(item, BaseException):
                raise item
            raise StopIteration
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def decode_audio(path, start: float = 0.0, duration: float | None = None) -> np.ndarray:
    """The whole (or the [start, start + duration) part of the) audio track as one float32 array."""
    blocks = list(iter_audio_blocks(path, start=start, duration=duration))
    return np.concatenate(blocks) if len(blocks) > 1 else blocks[0]


def audio_duration(path) -> float:
    """Duration in seconds as the container states it (cheap: headers only, nothing decoded)."""
    path = Path(path)
    try:
        info = probe(path)
    except MediaError as exc:
        raise AudioDecodeError(str(exc)) from exc
    if not info.has_audio:
        raise AudioDecodeError(f"{path.name} has no audio track; pick a video with sound.")
    return info.duration
