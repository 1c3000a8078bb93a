"""Export planning: the settings, and what exporting a marker or scan regions would do (clip starts snapped
to frames, crop and frame size, vid folder, counter and names), computed without writing anything."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields, replace
from fractions import Fraction
from pathlib import Path

from core import layout
from core.defaults import DEFAULT_CLIP_LENGTH
from core.errors import FoleycutError
from core.ltx2 import LTX2_FPS, ltx2_length, ltx2_size
from core.probe import MediaError, MediaInfo, probe
from core.random_crop import random_crop

FORMATS = ("mp4", "webp")
MAX_COUNT = 100  # clips per marker: far more than overlapping clips of one sound need
# A file name holds 255 bytes; the clip's counter, sub, area and temp-file decorations take the rest.
MAX_NAME_BYTES = 200
PORTRAIT_RATIOS = {"9:16": Fraction(9, 16), "4:5": Fraction(4, 5), "1:1": Fraction(1)}


def default_workers() -> int:
    # A few parallel ffmpeg processes hide the per-clip seek and start-up cost; more mostly contend
    # with libx264's own threads.
    return max(1, min(4, os.cpu_count() or 1))


@dataclass
class ExportSettings:
    name: str
    export_folder: Path
    label: str = ""
    category: str = ""
    fmt: str = "mp4"
    short_side: int | None = None
    length: float = DEFAULT_CLIP_LENGTH
    count: int = 1
    spread: float = 1.0
    portrait: str | None = None
    portrait_center: float = 0.5
    workers: int = field(default_factory=default_workers)
    encoder: str = "auto"  # "auto" (hardware when one works, else libx264) or an encoder name
    # (seconds, centre 0..1) keyframes of a moving portrait crop (core/crop_path.py); empty: `portrait_center`
    crop_keyframes: tuple[tuple[float, float], ...] = ()
    ltx2: bool = False  # LTX-2 mode (core/ltx2.py): 8k+1 frames at 25 fps, sides divisible by 32
    random_crop: float = 0.0  # percentage of each batch's clips given a random portrait/square crop

    def for_encoding(self) -> ExportSettings:
        """These settings with the clip length LTX-2 mode really exports (unchanged outside it)."""
        return replace(self, length=ltx2_length(self.length)) if self.ltx2 else self

    def check(self) -> None:
        """Raise FoleycutError naming the first setting that cannot work."""
        problems = [
            (
                not self.name.strip() or any(c in self.name for c in '/\\:*?"<>|'),
                f"clip name {self.name!r} is empty or holds a character not allowed in file names",
            ),
            (
                len(self.name.encode("utf-8")) > MAX_NAME_BYTES,
                f"clip name is {len(self.name.encode('utf-8'))} bytes long; file names allow {MAX_NAME_BYTES} here",
            ),
            (not str(self.export_folder).strip(), "the export folder is not named"),
            (self.fmt not in FORMATS, f"format {self.fmt!r} is unknown: use one of {', '.join(FORMATS)}"),
            (not 0 < self.length < math.inf, f"clip length {self.length} s must be a positive number"),
            (not 1 <= self.count <= MAX_COUNT, f"clip count {self.count} must be between 1 and {MAX_COUNT}"),
            (
                not math.isfinite(self.spread) or (self.count > 1 and self.spread <= 0),
                f"spread {self.spread} s must be a number, and positive for several clips",
            ),
            (
                self.short_side is not None and self.short_side < 16,
                f"short side {self.short_side} px is too small (16 at least)",
            ),
            (
                self.portrait is not None and self.portrait not in PORTRAIT_RATIOS,
                f"portrait crop {self.portrait!r} is unknown: use one of {', '.join(PORTRAIT_RATIOS)}",
            ),
            (not 0.0 <= self.portrait_center <= 1.0, f"portrait centre {self.portrait_center} must be between 0 and 1"),
            (self.workers < 1, f"workers {self.workers} must be at least 1"),
            (not 0.0 <= self.random_crop <= 100.0, f"random crop share {self.random_crop} % must be between 0 and 100"),
        ]
        for failed, message in problems:
            if failed:
                raise FoleycutError(f"Export settings: {message}.")

    def db_settings(self, stem: str) -> dict:
        """The encoding settings stored with the database row of clip `stem` (its own crop, random or not)."""
        portrait, center = self.clip_crop(stem)
        return {
            "fmt": self.fmt,
            "short_side": self.short_side,
            "portrait": portrait,
            "portrait_center": center if portrait else None,
            "ltx2": self.ltx2,
        }

    def clip_crop(self, stem: str) -> tuple[str | None, float]:
        """(portrait ratio, centre) of clip `stem`: a random one for the random-crop share, else the batch's."""
        return random_crop(stem, self.random_crop) or (self.portrait, self.portrait_center)


@dataclass(frozen=True)
class ExportSource(MediaInfo):
    """A probed source that clips can be cut from: it has pictures (so a frame rate and size) and sound."""

    fps: Fraction
    width: int
    height: int


@dataclass(frozen=True)
class ExportPlan:
    """What exporting a marker would do, computed without writing anything."""

    video: Path
    media: ExportSource
    marker_time: float
    starts: list[float]
    vid_folder: Path
    name: str
    counter: int
    fmt: str
    frame_size: tuple[int, int]
    crop: tuple[int, int, int, int] | None
    frames: int
    warnings: list[str]
    replaced_rows: list[dict]  # overwrite mode: the marker's existing clips
    # Scan exports: (area, sub) of each clip, 1-based, and each area's region start (its marker time).
    areas: tuple[tuple[int, int], ...] = ()
    region_starts: tuple[float, ...] = ()
    rate: Fraction | None = None  # output frame rate when it is not the source's (LTX-2 mode)
    fit: tuple[int, int] | None = None  # LTX-2 mode: the centre crop after crop and resize

    @property
    def out_size(self) -> tuple[int, int]:
        return self.fit or self.frame_size

    @property
    def out_fps(self) -> Fraction:
        return self.rate or self.media.fps

    @property
    def stems(self) -> list[str]:
        if self.areas:
            return [layout.scan_export_stem(self.name, self.counter, area, sub) for area, sub in self.areas]
        return [layout.clip_stem(self.name, self.counter, sub) for sub in range(1, len(self.starts) + 1)]

    @property
    def clip_paths(self) -> list[Path]:
        """Final paths: the .mp4 file, or the WebP frame folder (its .wav lies beside it)."""
        return [self.vid_folder / (f"{stem}.mp4" if self.fmt == "mp4" else stem) for stem in self.stems]


def plan_marker(
    db, video: Path, marker_time: float, settings: ExportSettings, profile: str = "default", overwrite: bool = False
) -> ExportPlan:
    """Check the source and settings and work out clip starts, vid folder, counter and names."""
    settings.check()
    settings = settings.for_encoding()
    video = Path(video).resolve()
    media = usable_source(video)
    if not 0 <= marker_time <= media.duration:
        raise FoleycutError(
            f"Marker at {marker_time:.2f} s lies outside {video.name} (0–{media.duration:.2f} s): "
            "put the cursor inside the video."
        )
    starts, warnings = clip_starts(media, marker_time, settings)
    export_folder = Path(settings.export_folder).resolve()
    replaced = marker_rows(db, video.name, profile, marker_time, export_folder, video) if overwrite else []
    if replaced:  # the marker keeps its own folder, name and counter
        first = Path(replaced[0]["output_path"])
        vid_folder, clip_name = first.parent, layout.parse_clip_name(first.name)
        if clip_name is None:
            raise FoleycutError(
                f"{first.name} is not named the way Foleycut names clips: export without overwriting to give "
                "this marker a new name."
            )
        name, counter = clip_name.name, clip_name.counter
    else:
        vid_folder = layout.vid_folder_path(db, video.name, profile, export_folder, video)
        name, counter = settings.name, layout.next_counter(db, vid_folder)
    return ExportPlan(
        video=video,
        media=media,
        marker_time=marker_time,
        starts=starts,
        vid_folder=vid_folder,
        name=name,
        counter=counter,
        fmt=settings.fmt,
        warnings=warnings,
        replaced_rows=replaced,
        **picture_plan(media, settings, settings.portrait, settings.portrait_center),
    )


def plan_scan_regions(
    db, video: Path, regions: list[tuple[float, float]], settings: ExportSettings, profile: str = "default"
) -> ExportPlan:
    """Clips every `settings.spread` seconds inside each scan region (at least one per region), centred on
    it: a region marks where the sound is, often shorter than a clip. All under one new counter in the
    video's vid folder."""
    settings.check()
    settings = settings.for_encoding()
    if settings.spread <= 0:
        raise FoleycutError(f"Export settings: spread {settings.spread} s must be positive for scan exports.")
    if not regions:
        raise FoleycutError("No scan region to export: enable at least one region, then export again.")
    video = Path(video).resolve()
    media = usable_source(video)
    starts: list[float] = []
    areas: list[tuple[int, int]] = []
    warnings: list[str] = []
    for area, (start, end) in enumerate(regions, 1):
        if not 0 <= start < end or start > media.duration:
            raise FoleycutError(
                f"Scan region {area} ({start:.2f}–{end:.2f} s) does not lie inside {video.name} "
                f"(0–{media.duration:.2f} s): rescan the video, then export again."
            )
        count = clips_in_region(end - start, settings.length, settings.spread)
        span = (count - 1) * settings.spread + settings.length
        first = max(0.0, (start + end - span) / 2)
        region_starts, region_warnings = clip_starts(media, first, replace(settings, count=count))
        starts += region_starts
        areas += [(area, sub) for sub in range(1, len(region_starts) + 1)]
        warnings += region_warnings
    export_folder = Path(settings.export_folder).resolve()
    vid_folder = layout.vid_folder_path(db, video.name, profile, export_folder, video)
    return ExportPlan(
        video=video,
        media=media,
        marker_time=regions[0][0],
        starts=starts,
        vid_folder=vid_folder,
        name=settings.name,
        counter=layout.next_counter(db, vid_folder),
        fmt=settings.fmt,
        warnings=warnings,
        replaced_rows=[],
        areas=tuple(areas),
        region_starts=tuple(float(start) for start, _end in regions),
        **picture_plan(media, settings, settings.portrait, settings.portrait_center),
    )


def picture_plan(media: ExportSource, settings: ExportSettings, portrait: str | None, center: float) -> dict:
    """The ExportPlan fields that shape the picture: crop, frame size, frame count, and in LTX-2 mode the
    25 fps rate and the centre crop to sides divisible by 32 (after the portrait crop and resize)."""
    crop, frame_size = output_geometry(media.width, media.height, portrait, center, settings.short_side)
    if not settings.ltx2:
        return {
            "crop": crop,
            "frame_size": frame_size,
            "fit": None,
            "rate": None,
            "frames": round(settings.length * media.fps),
        }
    fit = ltx2_size(*frame_size)
    return {
        "crop": crop,
        "frame_size": frame_size,
        "fit": fit if fit != frame_size else None,
        "rate": LTX2_FPS,
        "frames": round(settings.length * LTX2_FPS),
    }


def clip_plan(plan: ExportPlan, settings: ExportSettings, stem: str) -> ExportPlan:
    """The plan for one clip: the batch's, or with the random crop this clip drew."""
    portrait, center = settings.clip_crop(stem)
    if (portrait, center) == (settings.portrait, settings.portrait_center):
        return plan
    return replace(plan, **picture_plan(plan.media, settings, portrait, center))


def clips_in_region(region_length: float, clip_length: float, spread: float) -> int:
    """One clip per `spread` seconds while a whole clip still fits in the region; always at least one."""
    # The millionth absorbs float error in lengths that are exact multiples of the spread.
    return 1 + max(0, math.floor((region_length - clip_length) / spread + 1e-6))


def estimate_scan_clips(regions: list[tuple[float, float]], length: float, spread: float) -> int:
    """How many clips export_scan_regions would write for these regions (before end-of-video clamping)."""
    return sum(clips_in_region(end - start, length, spread) for start, end in regions if end > start)


def usable_source(video: Path) -> ExportSource:
    media = probe(video)
    if not media.has_video or not media.fps or not media.width or not media.height:
        raise _no_pictures(video)
    if not media.has_audio:
        raise MediaError(f"{video.name} has no audio track: sound-event clips need sound; choose a video with audio.")
    return ExportSource(**{item.name: getattr(media, item.name) for item in fields(media)})


def _no_pictures(video: Path) -> MediaError:
    return MediaError(f"{video.name} has no video stream: clips need pictures; choose a video file.")


def clip_starts(media: MediaInfo, marker_time: float, settings: ExportSettings) -> tuple[list[float], list[str]]:
    """Frame-snapped clip starts, the ones that would run past the end clamped to the last that fits."""
    fps = media.fps
    if not fps:
        raise _no_pictures(media.path)
    last_frame = math.floor((Fraction(media.duration) - Fraction(settings.length)) * fps + Fraction(1, 1000))
    if last_frame < 0:
        raise FoleycutError(
            f"{media.path.name} lasts {media.duration:.2f} s, shorter than one {settings.length:g} s "
            "clip: nothing was written; choose a shorter clip length."
        )
    wanted = [frame_at(marker_time + i * settings.spread, fps) for i in range(settings.count)]
    frames = list(dict.fromkeys(min(frame, last_frame) for frame in wanted))
    warnings = []
    clamped = sum(frame > last_frame for frame in wanted)
    if clamped:
        dropped = len(wanted) - len(frames)
        warnings.append(
            f"{clamped} clip(s) would run past the end of {media.path.name}: moved to start at "
            f"{float(last_frame / fps):.3f} s" + (f", {dropped} duplicate(s) dropped." if dropped else ".")
        )
    return [float(frame / fps) for frame in frames], warnings


def frame_at(seconds: float, fps: Fraction) -> int:
    """The frame on screen at `seconds`, so a clip starts with the picture the user saw at the cursor."""
    # The float's shortest decimal form is the time the user meant (2.9, not 2.899999…); the thousandth of
    # a frame absorbs what rounding is left when the cursor sits exactly on a frame.
    return math.floor(Fraction(repr(float(seconds))) * fps + Fraction(1, 1000))


def output_geometry(
    width: int, height: int, portrait: str | None, center: float, short_side: int | None
) -> tuple[tuple[int, int, int, int] | None, tuple[int, int]]:
    """(crop w, h, x, y) or None, and the final frame size; every size even, as yuv420p needs."""
    w, h = width - width % 2, height - height % 2
    crop = (w, h, 0, 0) if (w, h) != (width, height) else None  # drop an odd row/column rather than rescale
    if portrait:
        ratio = PORTRAIT_RATIOS[portrait]
        if Fraction(w, h) > ratio:  # too wide: keep the height, cut the sides around `center`
            w = min(_even(h * ratio), w)
            x = min(max(round(center * width - w / 2), 0), width - w)
            crop = (w, h, x, 0)
        else:  # too tall: keep the width, cut top and bottom evenly
            h = min(_even(w / ratio), h)
            crop = (w, h, 0, (height - h) // 2)
    if short_side:
        scale = Fraction(short_side, min(w, h))
        return crop, (_even(w * scale), _even(h * scale))
    return crop, (w, h)


def _even(value) -> int:
    return max(2, 2 * round(Fraction(value) / 2))


def marker_rows(
    db,
    filename: str,
    profile: str,
    marker_time: float,
    export_folder: Path,
    source_path: str | os.PathLike | None = None,
) -> list[dict]:
    for marker in db.get_markers(filename, profile, source_path):
        if abs(marker["marker_time"] - marker_time) < 1e-6 and Path(marker["export_folder"]) == export_folder:
            return [clip for clip in marker["clips"] if not clip["scan_export"]]
    return []
