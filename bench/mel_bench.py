"""MEL frame features: which FFT and which mel projection, measured interleaved (every variant once per
round, rounds repeated), on chunks of noise as long as those `MelEmbedder` receives.

    .venv/bin/python bench/mel_bench.py [--rounds 7] [--seconds 600]

Prints, per variant, audio seconds per wall second (min / median / max over the rounds) and per CPU
second of the whole process (median): on a shared machine the CPU figure is the steadier one, and it is
what decides how much is left for ffmpeg on the other core. Every variant's output is checked against
`core.mel.log_mel_frames` first (largest absolute difference of the log energies).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy.fft
import scipy.sparse
from numpy.lib.stride_tricks import sliding_window_view
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import mel
from core.audio import SAMPLE_RATE

_WINDOW = np.hanning(mel.FRAME_LENGTH).astype(np.float32)
_DENSE = mel.mel_filter_bank()
_SPARSE = scipy.sparse.csr_array(_DENSE.T)


def _frames(samples: np.ndarray) -> np.ndarray:
    return sliding_window_view(samples, mel.FRAME_LENGTH)[:: mel.HOP_LENGTH] * _WINDOW


def _power(spectrum: np.ndarray) -> np.ndarray:
    return spectrum.real**2 + spectrum.imag**2


def numpy_dense(samples):
    """The former implementation: numpy's rfft, dense projection through OpenBLAS."""
    return np.log(_power(np.fft.rfft(_frames(samples), n=mel.FFT_LENGTH, axis=1)) @ _DENSE + mel.LOG_FLOOR)


def scipy_dense(samples, workers=1):
    spectrum = scipy.fft.rfft(_frames(samples), n=mel.FFT_LENGTH, axis=1, workers=workers)
    return np.log(_power(spectrum) @ _DENSE + mel.LOG_FLOOR)


def numpy_sparse(samples):
    power = _power(np.fft.rfft(_frames(samples), n=mel.FFT_LENGTH, axis=1))
    return np.log((_SPARSE @ power.T).T + mel.LOG_FLOOR)


# name -> (function, BLAS thread limit: None leaves OpenBLAS at its default, one per core)
VARIANTS = {
    "numpy rfft, dense (before)": (numpy_dense, None),
    "numpy rfft, dense, BLAS 1 thread": (numpy_dense, 1),
    "scipy rfft, dense": (scipy_dense, None),
    "scipy rfft, dense, BLAS 1 thread": (scipy_dense, 1),
    "scipy rfft workers=2, dense, BLAS 1": (lambda s: scipy_dense(s, workers=2), 1),
    "numpy rfft, sparse": (numpy_sparse, None),
    "scipy rfft, sparse (core.mel)": (mel.log_mel_frames, None),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=600.0, help="audio per variant and round")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    embedder = mel.MelEmbedder
    chunk = round((embedder.chunk_seconds + 2 * embedder.context_seconds) * SAMPLE_RATE)
    count = round(args.seconds / embedder.chunk_seconds)
    chunks = [(rng.standard_normal(chunk) * 0.05).astype(np.float32) for _ in range(count)]
    audio = count * embedder.chunk_seconds

    reference = mel.log_mel_frames(chunks[0])
    for name, (function, limit) in VARIANTS.items():
        with threadpool_limits(limit, user_api="blas"):
            print(f"{name:38s} max |difference| to core.mel: {np.abs(function(chunks[0]) - reference).max():.1e}")

    wall = {name: [] for name in VARIANTS}
    cpu = {name: [] for name in VARIANTS}
    for _round in range(args.rounds):
        for name, (function, limit) in VARIANTS.items():
            with threadpool_limits(limit, user_api="blas"):
                started, cpu_started = time.perf_counter(), time.process_time()
                for samples in chunks:
                    function(samples)
                wall[name].append(audio / (time.perf_counter() - started))
                cpu[name].append(audio / (time.process_time() - cpu_started))
    print(
        f"\n{args.rounds} interleaved rounds of {audio:.0f} s of audio in {embedder.chunk_seconds:g} s chunks; "
        "audio-s per second"
    )
    print(f"{'variant':38s} {'wall min':>9s} {'median':>7s} {'max':>7s} {'per CPU-s (median)':>19s}")
    for name in VARIANTS:
        print(
            f"{name:38s} {min(wall[name]):9.0f} {statistics.median(wall[name]):7.0f} {max(wall[name]):7.0f} "
            f"{statistics.median(cpu[name]):19.0f}"
        )


if __name__ == "__main__":
    main()
