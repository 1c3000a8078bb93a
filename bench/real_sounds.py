"""Real recorded sound effects placed at known times in long videos: the material of the detection benches.

The recordings come from Debian's `hedgewars-data` package (sound effects, voice lines and music of the
game), fetched with `apt-get download` and unpacked with `dpkg -x` into a cache folder; nothing is committed.
Each scenario builds videos of a few minutes: a music bed and pink noise under everything, voice lines
(speech), many other effects as distractors, and the target sound(s) at random times. The ground truth of
an event is the part of the recording above -40 dB of its peak, so a region's edges are judged against
where the sound really is, not against the file's silent padding.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.audio import SAMPLE_RATE, decode_audio
from core.ffmpeg import run_ffmpeg

PACKAGE = "hedgewars-data"
DATA_DIR = Path("usr/share/games/hedgewars/Data")
DEFAULT_CACHE = Path.home() / ".cache" / "foleycut-bench"
ACTIVE_DB = -40.0  # an event's extent: samples within this many dB of its peak (smoothed)


def sound_library(cache: Path = DEFAULT_CACHE) -> Path:
    """The unpacked Data folder of hedgewars-data, downloaded once into `cache`."""
    data = cache / "hedgewars" / DATA_DIR
    if data.is_dir():
        return data
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob(f"{PACKAGE}_*.deb")):
        subprocess.run(["apt-get", "download", PACKAGE], cwd=debs, check=True)
    deb = max(debs.glob(f"{PACKAGE}_*.deb"))
    subprocess.run(["dpkg", "-x", str(deb), str(cache / "hedgewars")], check=True)
    return data


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    targets: tuple[str, ...]  # files under Data/ that are the sound to find
    distractors: tuple[str, ...]  # other effects, the confusable ones first
    train_videos: int = 3
    test_videos: int = 3
    minutes: float = 10.0
    events_per_video: int = 6
    distractors_per_minute: float = 4.0
    speech_per_minute: float = 1.5


def _effects(*names: str) -> tuple[str, ...]:
    return tuple(f"Sounds/{name}.ogg" for name in names)


COMMON_DISTRACTORS = _effects(
    "explosion",
    "shotgunfire",
    "gun",
    "mortar",
    "baseballbat",
    "bump",
    "CollectCrate",
    "denied",
    "egg",
    "firepunch_hit",
    "graveimpact",
    "hammer",
    "homerun",
    "jetpackboost",
    "knife_impact",
    "melonimpact",
    "minetick",
    "molotov",
    "parachute",
    "pickhammer",
    "placed",
    "portalopen",
    "ropeattach",
    "roperelease",
    "shotgunreload",
    "shutterclick",
    "skip",
    "sniperreload",
    "splash",
    "steam",
    "switchhog",
    "throwpowerup",
    "throwrelease",
    "warp",
    "Kiss",
    "Whistle",
    "Yoohoo",
    "blowtorch",
    "bee",
    "lowgravity",
    "steps",
)

SCENARIOS = (
    Scenario(
        "distinct",
        "one distinct recording (a whip crack) among forty other effects",
        _effects("whipcrack"),
        tuple(d for d in COMMON_DISTRACTORS),
    ),
    Scenario(
        "confusable",
        "an impact among other impacts and shots (grenade impact vs mine/airmine/"
        "melon/grave impacts, explosion, mortar)",
        _effects("grenadeimpact"),
        _effects(
            "mineimpact", "airmine_impact", "melonimpact", "graveimpact", "frozen_hog_impact", "explosion", "mortar"
        )
        + tuple(d for d in COMMON_DISTRACTORS if d not in _effects("melonimpact", "graveimpact")),
    ),
    Scenario(
        "class",
        "a class of several recordings (three water droplets and a rubber-duck splash)",
        _effects("Droplet1", "Droplet2", "Droplet3", "rubberduck_water"),
        tuple(d for d in COMMON_DISTRACTORS if d != "Sounds/splash.ogg"),
    ),
)


@dataclass(eq=False)
class BenchVideo:
    path: Path
    duration: float
    events: list[tuple[float, float]]  # ground truth: where the target sound is, seconds
    distractors: list[tuple[float, float, str]] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "path": str(self.path),
            "duration": self.duration,
            "events": self.events,
            "distractors": self.distractors,
        }

    @classmethod
    def from_json(cls, data: dict) -> BenchVideo:
        return cls(
            Path(data["path"]),
            data["duration"],
            [tuple(e) for e in data["events"]],
            [tuple(d) for d in data["distractors"]],
        )


def load_sound(path: Path) -> np.ndarray:
    samples = decode_audio(path)
    peak = float(np.abs(samples).max()) or 1.0
    return (samples / peak).astype(np.float32)


def active_extent(samples: np.ndarray) -> tuple[float, float]:
    """(start, end) seconds of the part of a recording within ACTIVE_DB of its (10 ms smoothed) peak."""
    hop = SAMPLE_RATE // 100
    frames = len(samples) // hop
    energy = np.sqrt(np.mean(samples[: frames * hop].reshape(frames, hop) ** 2, axis=1)) + 1e-9
    level = 20 * np.log10(energy / energy.max())
    loud = np.flatnonzero(level >= ACTIVE_DB)
    return loud[0] * hop / SAMPLE_RATE, (loud[-1] + 1) * hop / SAMPLE_RATE


def _speech_files(data: Path) -> list[Path]:
    return sorted((data / "Sounds" / "voices").glob("*/*.ogg"))


def _music_files(data: Path) -> list[Path]:
    return sorted((data / "Music").glob("*.ogg"))


def _place(track: np.ndarray, sound: np.ndarray, at: float, gain: float) -> None:
    start = int(at * SAMPLE_RATE)
    end = min(len(track), start + len(sound))
    track[start:end] += gain * sound[: end - start]


def _free_slot(
    rng: np.random.Generator, taken: list[tuple[float, float]], length: float, duration: float, gap: float
) -> float | None:
    for _ in range(200):
        at = float(rng.uniform(1.0, duration - length - 1.0))
        if all(at + length + gap <= s or at >= e + gap for s, e in taken):
            return at
    return None


def _pink_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    noise = np.fft.irfft(spectrum, n)
    return (noise / np.abs(noise).max()).astype(np.float32)


def build_track(scenario: Scenario, data: Path, seed: int) -> tuple[np.ndarray, list, list]:
    """One video's audio: music bed + noise + speech + distractors + targets, and what lies where."""
    rng = np.random.default_rng(seed)
    duration = scenario.minutes * 60
    n = int(duration * SAMPLE_RATE)
    music = load_sound(rng.choice(_music_files(data)))
    track = 0.08 * np.resize(music, n) + 0.01 * _pink_noise(rng, n)
    taken: list[tuple[float, float]] = []

    events = []
    for index in range(scenario.events_per_video):
        sound = load_sound(data / scenario.targets[index % len(scenario.targets)])
        lo, hi = active_extent(sound)
        at = _free_slot(rng, taken, len(sound) / SAMPLE_RATE, duration, gap=20.0)
        if at is None:
            continue
        _place(track, sound, at, float(rng.uniform(0.4, 0.8)))
        taken.append((at, at + len(sound) / SAMPLE_RATE))
        events.append((round(at + lo, 3), round(at + hi, 3)))

    placed = []
    minutes = scenario.minutes
    confusable = scenario.distractors[:8]
    names = [
        str(rng.choice(scenario.distractors)) if rng.random() < 0.6 else str(rng.choice(confusable))
        for _ in range(int(scenario.distractors_per_minute * minutes))
    ]
    speech = _speech_files(data)
    names += [str(rng.choice(speech).relative_to(data)) for _ in range(int(scenario.speech_per_minute * minutes))]
    for name in names:
        sound = load_sound(data / name)
        at = _free_slot(rng, taken, len(sound) / SAMPLE_RATE, duration, gap=1.0)
        if at is None:
            continue
        _place(track, sound, at, float(rng.uniform(0.3, 0.8)))
        taken.append((at, at + len(sound) / SAMPLE_RATE))
        lo, hi = active_extent(sound)
        placed.append((round(at + lo, 3), round(at + hi, 3), name))
    track /= max(1.0, float(np.abs(track).max()) / 0.95)
    return track.astype(np.float32), sorted(events), sorted(placed)


def write_video(path: Path, track: np.ndarray) -> None:
    """A small H.264 video (grey frames, 10 fps) carrying `track` as AAC, like a film's sound track."""
    raw = path.with_suffix(".f32")
    raw.write_bytes(track.astype("<f4").tobytes())
    try:
        run_ffmpeg(
            [
                "-y",
                "-f",
                "f32le",
                "-ar",
                str(SAMPLE_RATE),
                "-ac",
                "1",
                "-i",
                str(raw),
                "-f",
                "lavfi",
                "-i",
                "color=c=gray:s=160x90:r=10",
                "-shortest",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-c:a",
                "aac",
                "-b:a",
                "96k",
                str(path),
            ],
            check=True,
        )
    finally:
        raw.unlink(missing_ok=True)


def scenario_videos(scenario: Scenario, cache: Path = DEFAULT_CACHE) -> tuple[list[BenchVideo], list[BenchVideo]]:
    """(training videos, held-out videos) of a scenario, built once and kept in the cache."""
    folder = cache / "scenarios" / scenario.name
    index = folder / "truth.json"
    if index.exists():
        videos = [BenchVideo.from_json(v) for v in json.loads(index.read_text())]
    else:
        data = sound_library(cache)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        videos = []
        for number in range(scenario.train_videos + scenario.test_videos):
            path = folder / f"{scenario.name}_{number:02d}.mp4"
            track, events, placed = build_track(scenario, data, seed=hash_seed(scenario.name, number))
            write_video(path, track)
            videos.append(BenchVideo(path, len(track) / SAMPLE_RATE, events, placed))
        index.write_text(json.dumps([v.to_json() for v in videos], indent=1))
    return videos[: scenario.train_videos], videos[scenario.train_videos :]


def hash_seed(name: str, number: int) -> int:
    return sum(ord(c) * 31**i for i, c in enumerate(name)) % 100_000 * 100 + number
