"""Scan engine figures (SPEC section 8, issue 10). Every comparison runs its sides interleaved in one run
(A B A B …) and prints min / median / max, because on a shared machine two runs minutes apart measure
the neighbours' load as much as the code.

    .venv/bin/python bench/scan_bench.py                 # all sections, CPU, ~5-10 minutes on 2 cores
    .venv/bin/python bench/scan_bench.py --only scan rescan --rounds 5
    .venv/bin/python bench/scan_bench.py --only chunked --cuda --real-size --compare-seconds 1800

Sections:
- scan:    ffmpeg decode-only (16 kHz mono f32 to the null device: the floor) vs a MEL `main.py scan` of a
           30-minute video with the embedding cache cleared, each a whole process; the ratio per round.
- scan-all: Scan All (`scan_files`) of a few short videos in-process, with and without embedding ahead.
- rescan:  the same CLI scan of a 2-hour video from the cache (a whole process: interpreter, imports,
           classifier load, classifier, database) and `scan_file` in a process that has scanned before
           (the window's case), each with the classifier's compact scorer and with the same classifier
           saved without it (skops + scikit-learn, as before); warm, also a file other than the last one
           (whose embeddings and features the process does not keep).
- memory:  peak RSS above the idle process while a fresh process scans a 3-hour video with MEL: idle is
           measured after the imports a scan needs and before the classifier or any model is loaded.
- chunked: embedding throughput, chunked (pooled frame features) vs per-window, with a random HuBERT
           (small by default, base-sized with --real-size); needs torch.

Test videos: ten minutes of 320x240 test pattern with pink noise and tone bursts as 48 kHz stereo AAC,
encoded once and repeated by stream copy to the lengths needed; kept in --workdir between runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.audio import SAMPLE_RATE  # noqa: E402
from core.ffmpeg import ffmpeg_command, run_ffmpeg  # noqa: E402
from core.home import DataHome  # noqa: E402

BASE_MINUTES = 10
CLASSIFIER = "bench"
LEGACY = "bench_skops"  # the same classifier without its compact form: scikit-learn scores it
TRAINED = "bench_trained"  # trained as the product trains, on the test video's tone bursts


def long_video(workdir: Path, minutes: float) -> Path:
    """A video of `minutes`, built by repeating a ten-minute piece (stream copy: seconds, not minutes)."""
    piece = workdir / f"piece_{BASE_MINUTES}min.mp4"
    if not piece.exists():
        seconds = BASE_MINUTES * 60
        sound = (
            f"anoisesrc=d={seconds}:c=pink:r=48000:a=0.05[n];"
            f"sine=f=1200:r=48000:d={seconds},volume='if(lt(mod(t,37),0.6),0.5,0)':eval=frame[s];"
            "[n][s]amix=inputs=2:normalize=0,aformat=channel_layouts=stereo"
        )
        _ffmpeg(
            [
                "-f",
                "lavfi",
                "-i",
                f"testsrc2=size=320x240:rate=25:duration={seconds}",
                "-f",
                "lavfi",
                "-i",
                sound,
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-g",
                "250",
                "-c:a",
                "aac",
                "-b:a",
                "128k",
                "-shortest",
                str(piece),
            ]
        )
    target = workdir / f"video_{minutes:g}min.mp4"
    if not target.exists():
        repeats = round(minutes / BASE_MINUTES)
        _ffmpeg(["-stream_loop", str(repeats - 1), "-i", str(piece), "-c", "copy", str(target)])
    return target


def _ffmpeg(args: list[str]) -> None:
    result = run_ffmpeg(["-y", *args])
    if result.returncode != 0:
        raise SystemExit(result.stderr.decode(errors="replace"))


def bench_home(workdir: Path, name: str, legacy: bool = False) -> DataHome:
    """A data home holding one MEL classifier as training saves one (the default window, hop and context
    features; a calibrated booster fitted on random vectors: its trees are full-sized, so scoring costs
    what it costs at most; an exemplar gate of 5,000 negatives, the most training keeps). `legacy`: also
    the same classifier saved as before the compact scorer existed (skops only), named `LEGACY`."""
    import json

    from core import classifier_store
    from core.exemplar_gate import MAX_NEGATIVE_EXEMPLARS, ExemplarGate
    from core.mel import MelEmbedder
    from core.training import DEFAULT_HOP, DEFAULT_WINDOW, fit_balanced
    from core.window_context import CONTEXT

    home = DataHome.resolve(tempfile.mkdtemp(prefix=f"{name}_", dir=workdir))
    rng = np.random.default_rng(0)
    features = rng.standard_normal((MAX_NEGATIVE_EXEMPLARS + 200, 2 * MelEmbedder.dim)).astype(np.float32)
    labels = (np.arange(len(features)) % 37 < 2).astype(int)
    estimator = fit_balanced(features, labels)
    gate = ExemplarGate.fit(
        features, labels == 1, labels == 0, np.zeros(len(labels), int), ("elsewhere",), first_column=MelEmbedder.dim
    )
    for classifier in (CLASSIFIER, LEGACY) if legacy else (CLASSIFIER,):
        saved = classifier_store.save_version(
            home,
            classifier,
            estimator,
            embedding_model="MEL",
            window=DEFAULT_WINDOW,
            hop=DEFAULT_HOP,
            folders={},
            counts={},
            metrics={},
            feature_set=CONTEXT,
            gate=gate,
        )
        if classifier == LEGACY:
            folder = home.models_dir / LEGACY
            (folder / f"{saved.version}.npz").unlink()
            meta = json.loads((folder / f"{saved.version}.json").read_text())
            del meta["scorer_sha256"]
            (folder / f"{saved.version}.json").write_text(json.dumps(meta))
    return home


def add_trained_classifier(home: DataHome, workdir: Path) -> None:
    """`TRAINED`: five clips of the ten-minute piece's tone bursts (one every 37 s), trained with the
    defaults. Unlike `CLASSIFIER` its booster rules most windows out, so its gate compares few."""
    from core.db import ProcessedDB
    from core.export import ExportSettings, export_marker
    from core.training import TrainingOptions, train_classifier

    piece = long_video(workdir, BASE_MINUTES)
    with ProcessedDB(home.db_path) as db:
        settings = ExportSettings(name="tones", export_folder=home.root / "exports" / "tones", length=8.0, count=1)
        for burst in (1, 3, 5, 7, 9):
            export_marker(db, piece, 37.0 * burst - 3.0, settings)
        train_classifier(db, home, TrainingOptions(profile="default", positive_folder="tones", name=TRAINED))


def clear_cache(home: DataHome) -> None:
    for entry in home.embeddings_cache_dir.iterdir():
        entry.unlink()


def spread(values: list[float], unit: str, digits: int = 0) -> str:
    return (
        f"min {min(values):.{digits}f}  median {statistics.median(values):.{digits}f}  "
        f"max {max(values):.{digits}f} {unit}"
    )


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started


def cli_scan(home: DataHome, video: Path, classifier: str = CLASSIFIER) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "main.py"),
        "--home",
        str(home.root),
        "scan",
        str(video),
        "--classifier",
        classifier,
        "--force",  # a rescan, not the skip of a file already scanned with these settings
        "--json",
    ]


# ------------------------------------------------------------------------------------------ scan


def bench_scan(args) -> None:
    from core.audio import audio_duration, decode_command

    video = long_video(args.workdir, args.scan_minutes)
    seconds = audio_duration(video)
    home = bench_home(args.workdir, "scan")
    to_null = ["-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-y", os.devnull]
    # the floor as the issue set it (the plain command), and the scan's own command, which is faster
    plain = ffmpeg_command(["-i", str(video), "-map", "0:a:0", "-vn", "-sn", "-dn", *to_null])
    as_scanned = decode_command(video)[:-1] + ["-y", os.devnull]  # its last argument is the pipe
    floor, fastest, scan = [], [], []
    for _ in range(args.rounds):
        floor.append(seconds / timed(plain))
        fastest.append(seconds / timed(as_scanned))
        clear_cache(home)
        scan.append(seconds / timed(cli_scan(home, video)))
    print(f"scan of a {seconds / 60:.0f}-minute video (48 kHz stereo AAC + H.264), {args.rounds} interleaved rounds:")
    print(f"  ffmpeg decode-only to 16 kHz mono   {spread(floor, 'audio-s/s')}")
    print(f"  the same, as the scan decodes       {spread(fastest, 'audio-s/s')}  (amovie source)")
    print(f"  MEL `main.py scan`, cache cleared   {spread(scan, 'audio-s/s')}  (whole process)")
    print(f"  scan / decode-only, per round       {spread([s / f for s, f in zip(scan, floor)], '', 2)}  (bar >= 0.7)")
    print(f"  scan / decode as scanned, per round {spread([s / f for s, f in zip(scan, fastest)], '', 2)}")


# ---------------------------------------------------------------------------------------- rescan


def bench_rescan(args) -> None:
    """A cached rescan with the compact scorer against the same classifier saved without it (skops and
    scikit-learn), each as a whole CLI process and as `scan_file` in a process that has scanned before;
    in that warm process also the file scanned last again (its features kept) against another file."""
    import shutil

    from core.db import ProcessedDB
    from core.scanning import scan_file

    video = long_video(args.workdir, args.rescan_hours * 60)
    other = video.with_name(f"{video.stem}_other{video.suffix}")  # same audio, its own cache entry
    if not other.exists():
        shutil.copyfile(video, other)
    home = bench_home(args.workdir, "rescan", legacy=True)
    add_trained_classifier(home, args.workdir)
    for path in (video, other):  # fills the cache
        subprocess.run(cli_scan(home, path), cwd=ROOT, check=True, capture_output=True)
    cold: dict[str, list[float]] = {CLASSIFIER: [], TRAINED: [], LEGACY: []}
    warm: dict[str, list[float]] = {name: [] for name in cold}
    warm_cpu: dict[str, list[float]] = {name: [] for name in cold}
    switched: list[float] = []
    with ProcessedDB(home.db_path) as db:
        for classifier in cold:  # the window has scanned before: imports done, classifiers loaded
            outcome = scan_file(db, home, video, classifier)
        windows = len(outcome.scores.probabilities)
        for _ in range(args.rounds):
            for classifier, cold_times in cold.items():
                cold_times.append(timed(cli_scan(home, video, classifier)) * 1000)
                started, cpu = time.perf_counter(), time.process_time()
                scan_file(db, home, video, classifier)
                warm[classifier].append((time.perf_counter() - started) * 1000)
                warm_cpu[classifier].append((time.process_time() - cpu) * 1000)
            started = time.perf_counter()
            scan_file(db, home, other, CLASSIFIER)  # not the file scanned last: loaded and computed
            switched.append((time.perf_counter() - started) * 1000)
            scan_file(db, home, video, CLASSIFIER)  # the next round's files are the last ones again
    scoring = _interleaved_scoring(home, video, args.rounds)
    print(
        f"rescan of a {args.rescan_hours:g}-hour video from the cache ({windows} windows), {args.rounds} "
        "interleaved rounds:"
    )
    for classifier, label in (
        (CLASSIFIER, "compact scorer, worst case (a booster that lets every window through to the gate)"),
        (TRAINED, "compact scorer, trained on the video's tone bursts"),
        (LEGACY, "skops + scikit-learn (before), worst case"),
    ):
        print(f"  {label}")
        print(f"    `main.py scan`, whole process     {spread(cold[classifier], 'ms')}  (bar < 1000)")
        print(
            f"    scan_file, the file scanned last  {spread(warm[classifier], 'ms')}  (bar < 100); "
            f"CPU {spread(warm_cpu[classifier], 'ms')}"
        )
        if classifier == CLASSIFIER:
            print(f"    scan_file, another cached file    {spread(switched, 'ms')}")
        if classifier in scoring:
            print(
                f"    of which scoring the features     {spread(scoring[classifier][0], 'ms')}; "
                f"CPU {spread(scoring[classifier][1], 'ms')}"
            )


def _interleaved_scoring(home: DataHome, video: Path, rounds: int) -> dict[str, tuple[list[float], list[float]]]:
    """The classifier alone on the file's features: CompactScorer.positive_probability vs predict_proba."""
    from core.classifier_store import load_classifier
    from core.training import boosting_threads
    from core.window_context import window_features
    from core.window_embeddings import embed_file

    compact, legacy = load_classifier(home, CLASSIFIER), load_classifier(home, LEGACY)
    meta = compact.meta
    features = window_features(
        embed_file(video, meta.embedding_model, home, meta.window, meta.hop).vectors, meta.hop, meta.feature_set
    )
    times = {CLASSIFIER: ([], []), LEGACY: ([], [])}
    for _ in range(rounds):
        for name, score in (
            (CLASSIFIER, lambda: compact.estimator.positive_probability(features)),
            (LEGACY, lambda: legacy.estimator.predict_proba(features)),
        ):
            started, cpu = time.perf_counter(), time.process_time()
            with boosting_threads():
                score()
            times[name][0].append((time.perf_counter() - started) * 1000)
            times[name][1].append((time.process_time() - cpu) * 1000)
    return times


# -------------------------------------------------------------------------------------- scan all


def bench_scan_all(args) -> None:
    """Scan All in-process, with and without embedding ahead (the next video while this one is scanned,
    the first while the classifier loads), each run in a fresh home so nothing comes from the cache."""
    from core import window_embeddings
    from core.db import ProcessedDB
    from core.scanning import scan_files

    piece = long_video(args.workdir, BASE_MINUTES)
    videos = []
    for index in range(args.scan_all_files):  # distinct paths: the cache and the look-ahead key on them
        video = args.workdir / f"scan_all_{index}.mp4"
        if not video.exists():
            _ffmpeg(["-i", str(piece), "-t", str(args.scan_all_minutes * 60), "-c", "copy", str(video)])
        videos.append(video)
    embed_ahead = window_embeddings.embed_ahead
    rates = {True: [], False: []}
    try:
        for _ in range(args.rounds):
            for ahead in (False, True):
                window_embeddings.embed_ahead = embed_ahead if ahead else (lambda *a, **k: None)
                home = bench_home(args.workdir, "scan_all")
                with ProcessedDB(home.db_path) as db:
                    started = time.perf_counter()
                    scan_files(db, home, videos, CLASSIFIER)
                    rates[ahead].append(len(videos) * args.scan_all_minutes * 60 / (time.perf_counter() - started))
    finally:
        window_embeddings.embed_ahead = embed_ahead
    print(
        f"Scan All of {len(videos)} x {args.scan_all_minutes:g}-minute videos in-process, MEL, "
        f"{args.rounds} interleaved rounds:"
    )
    print(f"  one file after another              {spread(rates[False], 'audio-s/s')}")
    print(f"  embedding ahead                     {spread(rates[True], 'audio-s/s')}")
    print(f"  ratio, per round                    {spread([a / b for a, b in zip(rates[True], rates[False])], 'x', 2)}")


# ---------------------------------------------------------------------------------------- memory


class PeakRss:
    """Samples this process's resident memory every 10 ms in a thread; `peak` is the highest seen."""

    def __init__(self):
        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def measure_memory(video: Path, home_root: Path) -> None:
    """One fresh process: idle after the imports a scan needs, then the whole scan_file (classifier load
    included: scikit-learn and skops are imported then), cache cleared beforehand."""
    from core.db import ProcessedDB
    from core.scanning import scan_file

    home = DataHome.resolve(home_root)
    with ProcessedDB(home.db_path) as db:
        idle = psutil.Process().memory_info().rss
        started = time.perf_counter()
        with PeakRss() as rss:
            outcome = scan_file(db, home, video, CLASSIFIER)
        elapsed = time.perf_counter() - started
    print(
        f"  peak {(rss.peak - idle) / 2**20:5.0f} MB above idle ({idle / 2**20:.0f} MB idle), "
        f"{elapsed:.0f} s, {len(outcome.regions)} regions"
    )


def bench_memory(args) -> None:
    video = long_video(args.workdir, args.memory_hours * 60)
    home = bench_home(args.workdir, "memory")
    print(
        f"peak memory of a MEL scan of a {args.memory_hours:g}-hour video, fresh process each run "
        "(bar < 150 MB above idle):"
    )
    for _ in range(args.memory_runs):
        clear_cache(home)
        subprocess.run([sys.executable, __file__, "--memory-run", str(video), str(home.root)], cwd=ROOT, check=True)


# --------------------------------------------------------------------------------------- chunked


def random_hubert(real_size: bool, device):
    import torch
    from transformers import HubertConfig, HubertModel, Wav2Vec2FeatureExtractor

    from core.embedding_models import Wav2Vec2StyleEmbedder

    torch.manual_seed(0)
    if real_size:
        config = HubertConfig()  # hubert-base: 768 hidden, 12 layers, 12 heads
    else:
        config = HubertConfig(
            hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024, conv_dim=(256,) * 7
        )
    embedder = Wav2Vec2StyleEmbedder("HUBERT_BASE", HubertModel(config), Wav2Vec2FeatureExtractor(), device)
    parameters = sum(p.numel() for p in embedder.model.parameters()) / 1e6
    return embedder, f"random HuBERT {config.hidden_size} x {config.num_hidden_layers} layers ({parameters:.0f} M)"


def bench_chunked_vs_direct(args) -> None:
    from core.devices import pick_device
    from core.window_embeddings import embed_stream, embed_windows_directly

    device = pick_device("cuda" if args.cuda else "cpu")
    embedder, label = random_hubert(args.real_size, device)
    rng = np.random.default_rng(0)
    audio = (rng.standard_normal(int(args.compare_seconds * SAMPLE_RATE)) * 0.05).astype(np.float32)
    # warm-up: both paths once on a short piece, so first-call set-up of each input shape is not timed
    embed_stream([audio[: 20 * SAMPLE_RATE]], embedder, "HUBERT_BASE")
    embed_windows_directly(audio[: 9 * SAMPLE_RATE], embedder, "HUBERT_BASE")
    chunked, direct, speedups = [], [], []
    for _ in range(args.rounds):
        started = _sync_time(device)
        pooled = embed_stream([audio], embedder, "HUBERT_BASE")
        chunked.append(args.compare_seconds / (_sync_time(device) - started))
        started = _sync_time(device)
        windows = embed_windows_directly(audio, embedder, "HUBERT_BASE")
        direct.append(args.compare_seconds / (_sync_time(device) - started))
        speedups.append(chunked[-1] / direct[-1])
    cosine = (
        (pooled.vectors * windows.vectors).sum(1)
        / np.linalg.norm(pooled.vectors, axis=1)
        / np.linalg.norm(windows.vectors, axis=1)
    ).mean()
    print(
        f"embedding, {label} on {device.kind} (batch {embedder.batch_size}, chunk {embedder.chunk_seconds:g} s), "
        f"{args.compare_seconds:g} s audio, 8 s windows / 1 s hop, {args.rounds} interleaved rounds:"
    )
    print(f"  chunked     {spread(chunked, 'audio-s/s', 1)}")
    print(f"  per-window  {spread(direct, 'audio-s/s', 1)}")
    print(f"  speed-up    {spread(speedups, 'x', 1)}  (bar >= 6; mean cosine pooled vs direct {cosine:.3f})")


def _sync_time(device) -> float:
    if device.kind == "cuda":
        import torch

        torch.cuda.synchronize()
    return time.perf_counter()


# ------------------------------------------------------------------------------------------ main

SECTIONS = {
    "scan": bench_scan,
    "scan-all": bench_scan_all,
    "rescan": bench_rescan,
    "memory": bench_memory,
    "chunked": bench_chunked_vs_direct,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per comparison")
    parser.add_argument("--scan-minutes", type=float, default=30.0)
    parser.add_argument("--scan-all-files", type=int, default=6)
    parser.add_argument("--scan-all-minutes", type=float, default=3.0)
    parser.add_argument("--rescan-hours", type=float, default=2.0)
    parser.add_argument("--memory-hours", type=float, default=3.0)
    parser.add_argument("--memory-runs", type=int, default=2)
    parser.add_argument("--compare-seconds", type=float, default=60.0, help="audio for chunked vs per-window")
    parser.add_argument("--cuda", action="store_true", help="chunked: run the transformer on the GPU")
    parser.add_argument("--real-size", action="store_true", help="chunked: HuBERT-base-sized random model")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "foleycut_scan_bench")
    parser.add_argument("--memory-run", nargs=2, metavar=("VIDEO", "HOME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_run:
        measure_memory(Path(args.memory_run[0]), Path(args.memory_run[1]))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"{date.today()}: {platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, Python {platform.python_version()}, "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    for name in args.only:
        SECTIONS[name](args)
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
