"""Generated videos with known sound events, for the training and scanning tests.

The sound to find is a 0.6 s 1200 Hz tone burst. The background is quiet noise with 500 Hz bursts (a
sound the classifier sees as negative) and, in some videos, chords of 1200 + 3000 Hz: never shown in
training, they share the target's band, so a first classifier mistakes them for the target until they
are marked as hard negatives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.media_factory import make_video, tone_burst_track

TARGET_HZ, DISTRACTOR_HZ, CHORD_HZ = 1200.0, 500.0, 3000.0
CLIP = 8.0
SECONDS = 120.0
BURST = 0.6


@dataclass(frozen=True)
class SceneVideo:
    name: str
    targets: list[float]
    distractors: list[float] = field(default_factory=list)
    chords: list[float] = field(default_factory=list)
    seed: int = 0


SCENES = {
    "train_a": SceneVideo("train_a", targets=[20, 80], distractors=[45, 100, 110], seed=1),
    "train_b": SceneVideo("train_b", targets=[30, 95], distractors=[10, 60, 70], seed=2),
    "train_c": SceneVideo("train_c", targets=[15, 70], distractors=[40, 105], seed=3),
    "held_out": SceneVideo("held_out", targets=[25, 85], distractors=[55, 110], seed=4),
    "chords": SceneVideo("chords", targets=[20], distractors=[5], chords=[40, 55, 70, 85, 100, 112], seed=5),
    "chords_held_out": SceneVideo("chords_held_out", targets=[100], distractors=[30], chords=[15, 65], seed=6),
}
TRAINING = ("train_a", "train_b", "train_c")


def scene_track(scene: SceneVideo, seconds: float = SECONDS) -> np.ndarray:
    def bursts(times, freq, noise=0.0):
        return tone_burst_track(seconds, times, freq=freq, burst=BURST, noise=noise, seed=scene.seed)

    return (
        bursts(scene.targets, TARGET_HZ, noise=0.02)
        + bursts(scene.distractors, DISTRACTOR_HZ)
        + bursts(scene.chords, TARGET_HZ)
        + bursts(scene.chords, CHORD_HZ)
    )


def make_scene_videos(folder: Path) -> dict[str, Path]:
    return {
        name: make_video(folder / f"{name}.mp4", SECONDS, audio=scene_track(scene), size=(32, 24), fps=2)
        for name, scene in SCENES.items()
    }


def clip_start(event: float) -> float:
    """A clip centred on the event, as a user cutting around it would."""
    return event + BURST / 2 - CLIP / 2


def add_positive_clips(db, root: Path, folder: str, video: Path, events, profile: str = "default") -> None:
    """Rows as an export of one clip per event would leave them (the clip files need not exist)."""
    vid = f"vid_{sorted(SCENES).index(video.stem) + 1:03d}"
    for number, event in enumerate(events, start=1):
        output = root / folder / vid / f"{video.stem}_{number:03d}_1.mp4"
        db.add(
            video.name, clip_start(event), output, label=folder, profile=profile, source_path=str(video), length=CLIP
        )


def add_training_clips(db, root: Path, videos: dict[str, Path], folder: str = "mp4_Tone") -> None:
    """One clip per target of every training video, into `folder`."""
    for name in TRAINING:
        add_positive_clips(db, root, folder, videos[name], SCENES[name].targets)


def covers(region, event: float) -> bool:
    """The region marks the burst at `event` (overlaps it, as the detection bench matches them)."""
    return region.start < event + BURST and event < region.end


def scene_videos(tmp_path_factory) -> dict[str, Path]:
    """The scene videos, made once per test session and shared (tests only read them)."""
    folder = tmp_path_factory.getbasetemp() / "scene_videos"
    if not folder.is_dir():
        building = tmp_path_factory.mktemp("scene_videos_building")
        make_scene_videos(building)
        building.rename(folder)
    return {name: folder / f"{name}.mp4" for name in SCENES}
