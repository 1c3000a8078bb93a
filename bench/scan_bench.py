"""Scan engine figures (SPEC section 8): decode speed, chunked vs per-window embedding throughput,
cached rescan of a 2-hour file, peak memory while scanning a 3-hour file.

    .venv/bin/python bench/scan_bench.py               # CPU, a small random HuBERT, a few minutes on 2 cores
    .venv/bin/python bench/scan_bench.py --real-size   # random HuBERT-base-sized model (95 M parameters)
    .venv/bin/python bench/scan_bench.py --cuda --real-size   # the same on the GPU (half precision)

Long test files are made cheaply: ten minutes of pink noise with tone bursts encoded once as AAC (48 kHz
stereo, like a film track), then repeated by stream copy. They are kept in --workdir between runs.
"""
from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.audio import SAMPLE_RATE, iter_audio_blocks  # noqa: E402
from core.ffmpeg import run_ffmpeg  # noqa: E402
from core.home import DataHome  # noqa: E402
from core.regions import fuse_windows  # noqa: E402
from core.window_embeddings import embed_file, embed_stream, embed_windows_directly  # noqa: E402

BASE_MINUTES = 10


def long_audio_file(workdir: Path, hours: float) -> Path:
    """An AAC file of `hours`, built by repeating a ten-minute piece (stream copy: seconds, not minutes)."""
    piece = workdir / f"piece_{BASE_MINUTES}min.m4a"
    if not piece.exists():
        seconds = BASE_MINUTES * 60
        source = (f"anoisesrc=d={seconds}:c=pink:r=48000:a=0.05[n];"
                  f"sine=f=1200:r=48000:d={seconds},volume='if(lt(mod(t,37),0.6),0.5,0)':eval=frame[s];"
                  "[n][s]amix=inputs=2:normalize=0,aformat=channel_layouts=stereo")
        _ffmpeg(["-f", "lavfi", "-i", source, "-c:a", "aac", "-b:a", "96k", str(piece)])
    target = workdir / f"long_{hours:g}h.m4a"
    if not target.exists():
        repeats = round(hours * 60 / BASE_MINUTES)
        _ffmpeg(["-stream_loop", str(repeats - 1), "-i", str(piece), "-c", "copy", str(target)])
    return target


def _ffmpeg(args: list[str]) -> None:
    result = run_ffmpeg(["-y", *args])
    if result.returncode != 0:
        raise SystemExit(result.stderr.decode(errors="replace"))


def bench_decode(workdir: Path) -> None:
    path = long_audio_file(workdir, 1.0)
    start = time.perf_counter()
    samples = sum(len(block) for block in iter_audio_blocks(path))
    elapsed = time.perf_counter() - start
    seconds = samples / SAMPLE_RATE
    print(f"decode: {seconds:.0f} s of 48 kHz stereo AAC -> 16 kHz mono in {elapsed:.1f} s "
          f"= {seconds / elapsed:.0f} audio-s/s")


def random_hubert(real_size: bool, device):
    import torch
    from transformers import HubertConfig, HubertModel, Wav2Vec2FeatureExtractor

    from core.embedding_models import Wav2Vec2StyleEmbedder

    torch.manual_seed(0)
    if real_size:
        config = HubertConfig()  # hubert-base: 768 hidden, 12 layers, 12 heads
    else:
        config = HubertConfig(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024,
                              conv_dim=(256,) * 7)
    embedder = Wav2Vec2StyleEmbedder("HUBERT_BASE", HubertModel(config), Wav2Vec2FeatureExtractor(), device)
    parameters = sum(p.numel() for p in embedder.model.parameters()) / 1e6
    return embedder, f"random HuBERT {config.hidden_size} hidden x {config.num_hidden_layers} layers ({parameters:.0f} M)"


def bench_chunked_vs_direct(args, device) -> None:
    embedder, label = random_hubert(args.real_size, device)
    rng = np.random.default_rng(0)
    audio = (rng.standard_normal(int(args.compare_seconds * SAMPLE_RATE)) * 0.05).astype(np.float32)
    # warm-up: both paths once on a short piece, so first-call set-up of each input shape is not timed
    embed_stream([audio[: 20 * SAMPLE_RATE]], embedder, "HUBERT_BASE")
    embed_windows_directly(audio[: 9 * SAMPLE_RATE], embedder, "HUBERT_BASE")
    _sync(device)
    start = time.perf_counter()
    pooled = embed_stream([audio], embedder, "HUBERT_BASE")
    _sync(device)
    chunked = time.perf_counter() - start
    start = time.perf_counter()
    direct = embed_windows_directly(audio, embedder, "HUBERT_BASE")
    _sync(device)
    per_window = time.perf_counter() - start
    cosine = ((pooled.vectors * direct.vectors).sum(1)
              / np.linalg.norm(pooled.vectors, axis=1) / np.linalg.norm(direct.vectors, axis=1)).mean()
    print(f"embedding, {label} on {device.kind} (batch {embedder.batch_size}, chunk {embedder.chunk_seconds:g} s), "
          f"{args.compare_seconds:g} s audio, {len(pooled.times)} windows of 8 s / hop 1 s:")
    print(f"  chunked    {args.compare_seconds / chunked:8.1f} audio-s/s ({chunked:.1f} s)")
    print(f"  per-window {args.compare_seconds / per_window:8.1f} audio-s/s ({per_window:.1f} s)")
    print(f"  speed-up   {per_window / chunked:8.1f} x   (mean cosine pooled vs direct: {cosine:.3f})")


def _sync(device) -> None:
    if device is not None and device.kind == "cuda":
        import torch

        torch.cuda.synchronize()


def bench_rescan(workdir: Path, hours: float) -> None:
    from core.training import fit_balanced

    path = long_audio_file(workdir, hours)
    home = DataHome.resolve(tempfile.mkdtemp(prefix="rescan_home_", dir=workdir))
    start = time.perf_counter()
    first = embed_file(path, "MEL", home)
    first_scan = time.perf_counter() - start
    labels = (np.arange(len(first.times)) % 37 < 2).astype(int)  # any two classes will do for timing
    estimator = fit_balanced(first.vectors[::4], labels[::4])
    loads, totals = [], []
    for _ in range(5):
        start = time.perf_counter()
        cached = embed_file(path, "MEL", home)
        loaded = time.perf_counter()
        probabilities = estimator.predict_proba(cached.vectors)[:, 1]
        fuse_windows(cached.times, probabilities, cached.window, 0.5)
        loads.append(loaded - start)
        totals.append(time.perf_counter() - start)
    print(f"MEL first scan of {hours:g} h ({len(first.times)} windows): {first_scan:.1f} s "
          f"= {first.duration / first_scan:.0f} audio-s/s (decode + embed + cache write)")
    print(f"rescan of {hours:g} h from cache: median {np.median(totals) * 1000:.0f} ms "
          f"(worst {max(totals) * 1000:.0f} ms) = embeddings from cache {np.median(loads) * 1000:.0f} ms "
          f"+ calibrated classifier predict_proba and regions")


class PeakRss:
    """Samples this process's resident memory every 20 ms in a thread; `peak` is the highest seen."""

    def __init__(self):
        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def measure_memory(workdir: Path, hours: float, model: str, cuda: bool, real_size: bool) -> None:
    """Runs in a fresh process (see `bench_memory`), so earlier benches' freed memory cannot hide the peak."""
    path = long_audio_file(workdir, hours)
    home = DataHome.resolve(tempfile.mkdtemp(prefix="memory_home_", dir=workdir))
    embedder = None
    if model != "MEL":
        from core.devices import pick_device

        embedder, _label = random_hubert(real_size, pick_device("cuda" if cuda else "cpu"))
        # one full batch first: libraries, kernels and allocator pools loaded is what "idle" means here
        chunk = np.zeros(round((embedder.chunk_seconds + 2 * embedder.context_seconds) * SAMPLE_RATE), np.float32)
        embedder.frames([chunk] * embedder.batch_size)
    idle = psutil.Process().memory_info().rss
    start = time.perf_counter()
    with PeakRss() as rss:
        result = embed_file(path, model, home, embedder=embedder)
    elapsed = time.perf_counter() - start
    print(f"peak memory scanning {hours:g} h with {model}: {(rss.peak - idle) / 2 ** 20:.0f} MB above idle "
          f"({idle / 2 ** 20:.0f} MB idle), {len(result.times)} windows in {elapsed:.0f} s "
          f"= {result.duration / elapsed:.0f} audio-s/s")


def bench_memory(args, model: str) -> None:
    long_audio_file(args.workdir, args.memory_hours)  # made here, so its encoding is not measured
    command = [sys.executable, __file__, "--memory-run", model, "--memory-hours", str(args.memory_hours),
               "--workdir", str(args.workdir)] + ["--cuda"] * args.cuda + ["--real-size"] * args.real_size
    subprocess.run(command, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cuda", action="store_true", help="run the transformer on the GPU")
    parser.add_argument("--real-size", action="store_true", help="HuBERT-base-sized random model")
    parser.add_argument("--compare-seconds", type=float, default=120.0, help="audio for chunked vs per-window")
    parser.add_argument("--rescan-hours", type=float, default=2.0)
    parser.add_argument("--memory-hours", type=float, default=3.0)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "foleycut_scan_bench")
    parser.add_argument("--memory-run", metavar="MODEL", help=argparse.SUPPRESS)  # internal: one memory run
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.memory_run:
        measure_memory(args.workdir, args.memory_hours, args.memory_run, args.cuda, args.real_size)
        return

    from core.devices import pick_device

    device = pick_device("cuda" if args.cuda else "cpu")
    print(f"machine: {platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2 ** 30:.0f} GiB RAM, Python {platform.python_version()}"
          + (f", GPU {_gpu_name()}" if args.cuda else ""))
    bench_decode(args.workdir)
    bench_chunked_vs_direct(args, device)
    bench_rescan(args.workdir, args.rescan_hours)
    bench_memory(args, "MEL")
    if args.cuda:
        print(f"  (next: the same random HuBERT on {device.kind})")
        bench_memory(args, "HUBERT_BASE")


def _gpu_name() -> str:
    import torch

    return torch.cuda.get_device_name(0)


if __name__ == "__main__":
    main()
