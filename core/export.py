"""Clip export: one press of `E` (a *marker*) becomes `count` overlapping clips of exactly `length` seconds.

Clips start at `marker_time + i * spread`, snapped to the frame on screen at that time, and are
re-encoded after an accurate seek so each holds exactly round(length * fps) frames. Every clip is
encoded to a hidden temp name in its vid folder by parallel ffmpeg processes; only when all of a
marker's clips encoded and checked out are they moved to their final names (never over an existing
file) and their rows added, in one transaction, under a lock shared by every Foleycut process. A failure
or a cancel takes all of it back, and a killed export is taken back at the next start
(core/export_journal.py), so no partial clip ever carries a final name, no row points at a missing file
and no clip is left without its row.
"""
from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Callable

from core import dataset_json, export_journal, layout
from core.crop_path import crop_x_expression
from core.errors import Cancelled, FoleycutError
from core.ffmpeg import ffmpeg_command, file_url, last_error_line
from core.ltx2 import LTX2_FPS, ltx2_length, ltx2_size
from core.probe import SOFTWARE_H264, H264Encoder, MediaError, MediaInfo, choose_h264_encoder, probe
from core.random_crop import random_crop

FORMATS = ("mp4", "webp")
MAX_COUNT = 100  # clips per marker: far more than overlapping clips of one sound need
# A file name holds 255 bytes; the clip's counter, sub, area and temp-file decorations take the rest.
MAX_NAME_BYTES = 200
PORTRAIT_RATIOS = {"9:16": Fraction(9, 16), "4:5": Fraction(4, 5), "1:1": Fraction(1)}
WEBP_FRAME_PATTERN = "frame_%04d.webp"
Progress = Callable[[float, str], None]


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
    length: float = 8.0
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

    def for_encoding(self) -> "ExportSettings":
        """These settings with the clip length LTX-2 mode really exports (unchanged outside it)."""
        return replace(self, length=ltx2_length(self.length)) if self.ltx2 else self

    def check(self) -> None:
        """Raise FoleycutError naming the first setting that cannot work."""
        problems = [
            (not self.name.strip() or any(c in self.name for c in '/\\:*?"<>|'),
             f"clip name {self.name!r} is empty or holds a character not allowed in file names"),
            (len(self.name.encode("utf-8")) > MAX_NAME_BYTES,
             f"clip name is {len(self.name.encode('utf-8'))} bytes long; file names allow {MAX_NAME_BYTES} here"),
            (not str(self.export_folder).strip(), "the export folder is not named"),
            (self.fmt not in FORMATS, f"format {self.fmt!r} is unknown: use one of {', '.join(FORMATS)}"),
            (not 0 < self.length < math.inf, f"clip length {self.length} s must be a positive number"),
            (not 1 <= self.count <= MAX_COUNT, f"clip count {self.count} must be between 1 and {MAX_COUNT}"),
            (not math.isfinite(self.spread) or (self.count > 1 and self.spread <= 0),
             f"spread {self.spread} s must be a number, and positive for several clips"),
            (self.short_side is not None and self.short_side < 16,
             f"short side {self.short_side} px is too small (16 at least)"),
            (self.portrait is not None and self.portrait not in PORTRAIT_RATIOS,
             f"portrait crop {self.portrait!r} is unknown: use one of {', '.join(PORTRAIT_RATIOS)}"),
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
        return {"fmt": self.fmt, "short_side": self.short_side, "portrait": portrait,
                "portrait_center": center if portrait else None, "ltx2": self.ltx2}

    def clip_crop(self, stem: str) -> tuple[str | None, float]:
        """(portrait ratio, centre) of clip `stem`: a random one for the random-crop share, else the batch's."""
        return random_crop(stem, self.random_crop) or (self.portrait, self.portrait_center)


@dataclass(frozen=True)
class ExportPlan:
    """What exporting a marker would do, computed without writing anything."""

    video: Path
    media: MediaInfo
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


@dataclass(frozen=True)
class ExportedClip:
    path: Path
    start: float
    length: float
    row_id: int


# --- planning ------------------------------------------------------------------------------------

def plan_marker(db, video: Path, marker_time: float, settings: ExportSettings, profile: str = "default",
                overwrite: bool = False) -> ExportPlan:
    """Check the source and settings and work out clip starts, vid folder, counter and names."""
    settings.check()
    settings = settings.for_encoding()
    video = Path(video).resolve()
    media = _usable_source(video)
    if not 0 <= marker_time <= media.duration:
        raise FoleycutError(f"Marker at {marker_time:.2f} s lies outside {video.name} (0–{media.duration:.2f} s): "
                            "put the cursor inside the video.")
    starts, warnings = clip_starts(media, marker_time, settings)
    export_folder = Path(settings.export_folder).resolve()
    replaced = _marker_rows(db, video.name, profile, marker_time, export_folder, video) if overwrite else []
    if replaced:  # the marker keeps its own folder, name and counter
        first = Path(replaced[0]["output_path"])
        vid_folder, clip_name = first.parent, layout.parse_clip_name(first.name)
        name, counter = clip_name.name, clip_name.counter
    else:
        vid_folder = layout.vid_folder_path(db, video.name, profile, export_folder, video)
        name, counter = settings.name, layout.next_counter(db, vid_folder)
    return ExportPlan(video=video, media=media, marker_time=marker_time, starts=starts, vid_folder=vid_folder,
                      name=name, counter=counter, fmt=settings.fmt, warnings=warnings, replaced_rows=replaced,
                      **picture_plan(media, settings, settings.portrait, settings.portrait_center))


def plan_scan_regions(db, video: Path, regions: list[tuple[float, float]], settings: ExportSettings,
                      profile: str = "default") -> ExportPlan:
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
    media = _usable_source(video)
    starts: list[float] = []
    areas: list[tuple[int, int]] = []
    warnings: list[str] = []
    for area, (start, end) in enumerate(regions, 1):
        if not 0 <= start < end or start > media.duration:
            raise FoleycutError(f"Scan region {area} ({start:.2f}–{end:.2f} s) does not lie inside {video.name} "
                                f"(0–{media.duration:.2f} s): rescan the video, then export again.")
        count = clips_in_region(end - start, settings.length, settings.spread)
        span = (count - 1) * settings.spread + settings.length
        first = max(0.0, (start + end - span) / 2)
        region_starts, region_warnings = clip_starts(media, first, replace(settings, count=count))
        starts += region_starts
        areas += [(area, sub) for sub in range(1, len(region_starts) + 1)]
        warnings += region_warnings
    export_folder = Path(settings.export_folder).resolve()
    vid_folder = layout.vid_folder_path(db, video.name, profile, export_folder, video)
    return ExportPlan(video=video, media=media, marker_time=regions[0][0], starts=starts, vid_folder=vid_folder,
                      name=settings.name, counter=layout.next_counter(db, vid_folder), fmt=settings.fmt,
                      warnings=warnings, replaced_rows=[], areas=tuple(areas),
                      region_starts=tuple(float(start) for start, _end in regions),
                      **picture_plan(media, settings, settings.portrait, settings.portrait_center))


def picture_plan(media: MediaInfo, settings: ExportSettings, portrait: str | None, center: float) -> dict:
    """The ExportPlan fields that shape the picture: crop, frame size, frame count, and in LTX-2 mode the
    25 fps rate and the centre crop to sides divisible by 32 (after the portrait crop and resize)."""
    crop, frame_size = output_geometry(media.width, media.height, portrait, center, settings.short_side)
    if not settings.ltx2:
        return {"crop": crop, "frame_size": frame_size, "fit": None, "rate": None,
                "frames": round(settings.length * media.fps)}
    fit = ltx2_size(*frame_size)
    return {"crop": crop, "frame_size": frame_size, "fit": fit if fit != frame_size else None, "rate": LTX2_FPS,
            "frames": round(settings.length * LTX2_FPS)}


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


def _usable_source(video: Path) -> MediaInfo:
    media = probe(video)
    if not media.has_video or not media.fps or not media.width:
        raise MediaError(f"{video.name} has no video stream: clips need pictures; choose a video file.")
    if not media.has_audio:
        raise MediaError(f"{video.name} has no audio track: sound-event clips need sound; choose a video with audio.")
    return media


def clip_starts(media: MediaInfo, marker_time: float, settings: ExportSettings) -> tuple[list[float], list[str]]:
    """Frame-snapped clip starts, the ones that would run past the end clamped to the last that fits."""
    fps = media.fps
    last_frame = math.floor((Fraction(media.duration) - Fraction(settings.length)) * fps + Fraction(1, 1000))
    if last_frame < 0:
        raise FoleycutError(f"{media.path.name} lasts {media.duration:.2f} s, shorter than one {settings.length:g} s "
                            "clip: nothing was written; choose a shorter clip length.")
    wanted = [_frame_at(marker_time + i * settings.spread, fps) for i in range(settings.count)]
    frames = list(dict.fromkeys(min(frame, last_frame) for frame in wanted))
    warnings = []
    clamped = sum(frame > last_frame for frame in wanted)
    if clamped:
        dropped = len(wanted) - len(frames)
        warnings.append(f"{clamped} clip(s) would run past the end of {media.path.name}: moved to start at "
                        f"{float(last_frame / fps):.3f} s" + (f", {dropped} duplicate(s) dropped." if dropped else "."))
    return [float(frame / fps) for frame in frames], warnings


def _frame_at(seconds: float, fps: Fraction) -> int:
    """The frame on screen at `seconds`, so a clip starts with the picture the user saw at the cursor."""
    # The float's shortest decimal form is the time the user meant (2.9, not 2.899999…); the thousandth of
    # a frame absorbs what rounding is left when the cursor sits exactly on a frame.
    return math.floor(Fraction(repr(float(seconds))) * fps + Fraction(1, 1000))


def output_geometry(width: int, height: int, portrait: str | None, center: float,
                    short_side: int | None) -> tuple[tuple[int, int, int, int] | None, tuple[int, int]]:
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


# --- encoding ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Job:
    start: float
    stem: str
    temp: Path  # the .mp4 temp file, or the WebP temp frame folder
    temp_wav: Path | None


# The input seek lands this far before the clip and a trim filter cuts the rest: AAC audio decoded right
# at a seek point comes out misplaced by a few milliseconds, while decoding through a pre-roll does not.
PREROLL_US = 1_000_000


def _seconds_arg(micro: int) -> str:
    return f"{micro // 1_000_000}.{micro % 1_000_000:06d}"


def _seek(start: float, fps: Fraction) -> tuple[list[str], str]:
    """Input-seek arguments and the trim offset after them for a clip starting at `start`."""
    # Floor to the microsecond so float rounding never lands just after the first wanted frame.
    start_us = math.floor(Fraction(_frame_at(start, fps)) / fps * 1_000_000)
    preroll_us = max(0, start_us - PREROLL_US)
    return (["-ss", _seconds_arg(preroll_us)] if preroll_us else []), _seconds_arg(start_us - preroll_us)


def _video_filters(plan: ExportPlan, trim_at: str, crop_x: str | None = None) -> list[str]:
    # The fps filter makes a variable-rate source (phones) come out at a constant rate, so every clip
    # holds the same number of evenly spaced frames; on a constant-rate source it changes nothing.
    rate = plan.out_fps
    filters = [f"trim=start={trim_at}", "setpts=PTS-STARTPTS", f"fps={rate.numerator}/{rate.denominator}"]
    if plan.crop:
        w, h, x, y = plan.crop
        filters.append(f"crop={w}:{h}:{x}:{y}" if crop_x is None else f"crop={w}:{h}:'{crop_x}':{y}")
    if plan.frame_size != (plan.crop[:2] if plan.crop else (plan.media.width, plan.media.height)):
        filters.append(f"scale={plan.frame_size[0]}:{plan.frame_size[1]}")
    if plan.fit:
        filters.append(f"crop={plan.fit[0]}:{plan.fit[1]}")  # centred by default
    return filters


def _moving_crop_x(plan: ExportPlan, settings: ExportSettings, start: float) -> str | None:
    """The crop x expression following the keyframes, when a side-cutting portrait crop has them."""
    if not settings.crop_keyframes or not plan.crop or plan.crop[0] >= plan.media.width - 1:
        return None
    return crop_x_expression(settings.crop_keyframes, start, settings.length, plan.media.width, plan.crop[0])


def clip_command(plan: ExportPlan, job: _Job, settings: ExportSettings, encoder: H264Encoder) -> list[str]:
    """The ffmpeg argument list that encodes one clip to its temp path."""
    length = f"{settings.length:.6f}"
    seek, trim_at = _seek(job.start, plan.media.fps)
    crop_x = _moving_crop_x(plan, settings, job.start)
    source = [*seek, "-i", file_url(plan.video)]
    audio = ["-map", "0:a:0", "-af", f"atrim=start={trim_at},asetpts=PTS-STARTPTS", "-t", length,
             "-c:a", "pcm_s16le"]
    video = ["-map", "0:v:0", "-frames:v", str(plan.frames), "-t", length]
    if plan.fmt == "mp4":
        chain = ",".join([*_video_filters(plan, trim_at, crop_x), encoder.pixel_filter])
        args = [*encoder.input_args, *source, *video, "-vf", chain, *encoder.codec_args, *audio,
                "-movflags", "+faststart", "-f", "mp4", file_url(job.temp)]
    else:
        chain = ",".join(_video_filters(plan, trim_at, crop_x))
        args = [*source, *video, "-vf", chain, "-c:v", "libwebp", "-quality", "90", "-f", "image2",
                "-start_number", "1", image_pattern_url(job.temp, WEBP_FRAME_PATTERN),
                *audio, "-f", "wav", file_url(job.temp_wav)]
    return ffmpeg_command(["-y", *args])


def image_pattern_url(folder: Path, pattern: str) -> str:
    """ffmpeg's image-sequence muxer reads `%` in the whole path as a pattern: a literal one in the folder
    (a clip name or export folder such as `100%_door`) is written `%%`."""
    return file_url(folder).replace("%", "%%") + "/" + pattern


def _run_until_done(cmd: list[str], stopped: Callable[[], bool]) -> tuple[int, bytes]:
    """Run ffmpeg; kill it as soon as `stopped()` (the user cancelled, or another clip failed)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while True:
        try:
            _, stderr = proc.communicate(timeout=0.1)
            return proc.returncode, stderr
        except subprocess.TimeoutExpired:
            if stopped():
                proc.kill()
                proc.communicate()
                return -1, b""


def _encode_one(plan: ExportPlan, job: _Job, settings: ExportSettings, encoder: H264Encoder,
                stopped: Callable[[], bool]) -> None:
    """Encode one clip to its temp path and check it; returns quietly when stopped."""
    if stopped():
        return
    where = f"clip {job.stem} at {job.start:.2f} s of {plan.video.name}"
    try:
        if job.temp_wav:
            job.temp.mkdir()
        returncode, stderr = _run_until_done(clip_command(plan, job, settings, encoder), stopped)
    except OSError as exc:
        raise FoleycutError(f"Could not write {where} ({exc.strerror or exc}): "
                            "choose a writable export folder with free space.") from exc
    if stopped():
        return
    if returncode != 0:
        raise FoleycutError(f"ffmpeg could not encode {where} ({last_error_line(stderr)}): "
                            "check free space and write access in the export folder, then try again.")
    _check_clip_length(plan, job, settings, where)


def _check_clip_length(plan: ExportPlan, job: _Job, settings: ExportSettings, where: str) -> None:
    """A damaged or truncated source can make ffmpeg stop early without an error: never keep a short clip."""
    tolerance = float(1 / plan.out_fps) + 0.011  # `ffmpeg -i` prints durations to 10 ms
    try:
        if job.temp_wav:
            frames = sum(1 for _ in job.temp.glob("frame_*.webp"))
            got = min(float(frames / plan.out_fps), probe(job.temp_wav).duration)
        else:
            got = probe(job.temp).duration
    except MediaError:  # no stream at all came out
        got = 0.0
    if abs(got - settings.length) > tolerance:
        raise FoleycutError(f"{where} came out {got:.2f} s long instead of {settings.length:g} s: the video may be "
                            "damaged or truncated there; choose another time or repair the file.")


def _encode_all(plan: ExportPlan, jobs: list[_Job], settings: ExportSettings, progress: Progress | None,
                cancel: threading.Event | None) -> None:
    """Encode every clip in parallel; the first failure stops (kills) the rest and is raised."""
    encoder = choose_h264_encoder(settings.encoder) if plan.fmt == "mp4" else SOFTWARE_H264
    # Consumer GPUs allow only a few concurrent hardware encode sessions.
    workers = min(settings.workers, len(jobs), 2 if encoder.hardware else len(jobs))
    failed = threading.Event()

    def stopped() -> bool:
        return failed.is_set() or (cancel is not None and cancel.is_set())

    failure: FoleycutError | None = None
    done = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_encode_one, clip_plan(plan, settings, job.stem), job, settings, encoder, stopped)
                   for job in jobs]
        for future in as_completed(futures):
            try:
                future.result()
            except FoleycutError as exc:
                failure = failure or exc
                failed.set()
                continue
            done += 1
            if progress and not stopped():
                progress(done / len(jobs), f"Encoded {done}/{len(jobs)} clips from {plan.video.name}")
    if cancel is not None and cancel.is_set():
        raise Cancelled("Export cancelled: none of its clips was written.")
    if failure:
        raise failure


# --- writing, overwriting, deleting ----------------------------------------------------------------

def export_marker(db, video: Path, marker_time: float, settings: ExportSettings, profile: str = "default",
                  overwrite: bool = False, progress: Progress | None = None,
                  cancel: threading.Event | None = None) -> list[ExportedClip]:
    """Encode a marker's clips, move them to their final names, record them, rewrite dataset.json.

    With `overwrite`, an existing marker at this time in this export folder is re-encoded to its own
    vid folder and counter (files replaced, rows renewed); otherwise a new counter is used.
    """
    settings = settings.for_encoding()
    return _export_plan(db, plan_marker(db, video, marker_time, settings, profile, overwrite), settings, profile,
                        progress, cancel)


def export_scan_regions(db, video: Path, regions: list[tuple[float, float]], settings: ExportSettings,
                        profile: str = "default", progress: Progress | None = None,
                        cancel: threading.Event | None = None) -> list[ExportedClip]:
    """Export clips from scan regions ((start, end) seconds) as `<name>_NNN_a<area>_<sub>`, rows flagged
    scan_export; all of them or none, like a marker."""
    settings = settings.for_encoding()
    return _export_plan(db, plan_scan_regions(db, video, regions, settings, profile), settings, profile,
                        progress, cancel)


def _export_plan(db, plan: ExportPlan, settings: ExportSettings, profile: str, progress: Progress | None,
                 cancel: threading.Event | None) -> list[ExportedClip]:
    """Encode a plan's clips to temp names, then move them into place and record them as one unit: on any
    failure, or at the next start after a kill, nothing of it is left (core/export_journal.py)."""
    jobs = [_Job(start, stem, *_temp_paths(plan, stem)) for start, stem in zip(plan.starts, plan.stems)]
    temps = [path for job in jobs for path in (job.temp, job.temp_wav) if path]
    pending = export_journal.PendingExport(db, temps, export_journal.dirs_to_create(plan.vid_folder))
    finished = False
    try:
        _prepare_folder(plan.vid_folder)
        _encode_all(plan, jobs, settings, progress, cancel)
        clips = _commit(db, plan, jobs, settings, profile, pending)
        finished = True
    finally:
        for path in temps:
            export_journal.remove_entry(path)
        # Also after success: the planned vid folder stays empty when another process gave this video
        # its vid folder while these clips encoded.
        export_journal.remove_empty_dirs(pending.created_dirs)
        pending.close(finished)
    try:
        dataset_json.rebuild(db, settings.export_folder)
    except (OSError, FoleycutError) as exc:
        raise DatasetJsonError(
            f"{len(clips)} clip(s) were written and recorded, but {dataset_json.FILE_NAME} in "
            f"{Path(settings.export_folder).resolve()} could not be rewritten ({getattr(exc, 'strerror', None) or exc}): "
            "free some space or fix its permissions; the next export rewrites it.", clips) from exc
    if progress:
        progress(1.0, f"Wrote {len(clips)} clip(s) to {clips[0].path.parent}")
    return clips


class DatasetJsonError(FoleycutError):
    """The clips are safe (files and rows), only dataset.json is out of date; `clips` are the ones written."""

    def __init__(self, message: str, clips: list[ExportedClip]):
        super().__init__(message)
        self.clips = clips


def delete_marker(db, filename: str, profile: str, marker_time: float, export_folder: Path,
                  source_path: str | os.PathLike | None = None) -> int:
    """Remove a marker's clips: rows first (so none points at a missing file), then files, then dataset.json."""
    rows = _marker_rows(db, filename, profile, marker_time, Path(export_folder).resolve(), source_path)
    with db.transaction():
        db.delete_clips([row["id"] for row in rows])
        db.mark_dataset_stale(Path(export_folder).resolve())
    for row in rows:
        _remove_clip_files(Path(row["output_path"]))
    dataset_json.rebuild(db, export_folder)
    return len(rows)


def _marker_rows(db, filename: str, profile: str, marker_time: float, export_folder: Path,
                 source_path: str | os.PathLike | None = None) -> list[dict]:
    for marker in db.get_markers(filename, profile, source_path):
        if abs(marker["marker_time"] - marker_time) < 1e-6 and Path(marker["export_folder"]) == export_folder:
            return [clip for clip in marker["clips"] if not clip["scan_export"]]
    return []


def _prepare_folder(vid_folder: Path) -> None:
    """Make sure the vid folder exists and takes files."""
    try:
        vid_folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=vid_folder):
            pass
    except OSError as exc:
        raise FoleycutError(f"Cannot write to {vid_folder} ({exc.strerror or exc}): "
                            "choose an export folder you can write to.") from exc


def _temp_paths(plan: ExportPlan, stem: str) -> tuple[Path, Path | None]:
    """Hidden names beside the final ones (same folder, so the final rename is atomic), unique to this
    export: another one running at the same time may have planned the same stem."""
    base = plan.vid_folder / f".{stem}.part{uuid.uuid4().hex[:12]}"
    if plan.fmt == "mp4":
        return base.with_name(base.name + ".mp4"), None
    return base, base.with_name(base.name + ".wav")


def _commit(db, plan: ExportPlan, jobs: list[_Job], settings: ExportSettings, profile: str,
            pending: export_journal.PendingExport) -> list[ExportedClip]:
    """Under the cross-process export lock: pick final names, record them, move the clips there, then add
    their rows and drop the journal entry in one transaction; take the moves back when that fails."""
    with export_journal.export_lock(db):
        if not plan.replaced_rows:
            plan = _recheck_names(db, plan, profile)
        new_dirs = export_journal.dirs_to_create(plan.vid_folder)
        moves = _planned_moves(plan, jobs)
        pending.record_moves([(final, aside) for _temp, final, aside in moves], new_dirs)
        plan.vid_folder.mkdir(exist_ok=True)
        done: list[tuple[Path, Path | None]] = []  # only these are taken back: a name found taken is not ours
        try:
            for temp, final, aside in moves:
                current = final
                if aside is not None:
                    os.rename(final, aside)
                    done.append((final, aside))
                    export_journal.place(temp, final)
                else:
                    export_journal.place(temp, final)
                    done.append((final, aside))
            with db.transaction():
                if plan.replaced_rows:
                    db.delete_clips([row["id"] for row in plan.replaced_rows])
                clips = _add_rows(db, plan, jobs, settings, profile)
                db.mark_dataset_stale(plan.vid_folder.parent)  # until rewritten, even by a later start
                db.end_export(pending.id)
        except FileExistsError as exc:
            export_journal.undo_moves(db, done)
            raise FoleycutError(f"{current} was taken by another file while the clips were "
                                "being written: nothing was replaced; export again (a new name is chosen).") from exc
        except BaseException:
            export_journal.undo_moves(db, done)
            raise
    for _temp, _final, aside in moves:
        if aside is not None:
            export_journal.remove_entry(aside)
    finals = set(plan.clip_paths)
    for row in plan.replaced_rows:
        if Path(row["output_path"]) not in finals:
            _remove_clip_files(Path(row["output_path"]))
    return clips


def _planned_moves(plan: ExportPlan, jobs: list[_Job]) -> list[tuple[Path, Path, Path | None]]:
    """(temp, final, aside) for every file and frame folder: `aside` is where a file being replaced in
    overwrite mode waits until the new rows are committed."""
    replaced = {Path(row["output_path"]) for row in plan.replaced_rows}
    moves = []
    for job, final in zip(jobs, plan.clip_paths):
        pairs = [(job.temp, final)]
        if job.temp_wav:
            pairs.insert(0, (job.temp_wav, final.with_name(final.name + ".wav")))
        for temp, target in pairs:
            aside = None
            if os.path.lexists(target) and (target in replaced or target.with_suffix("") in replaced):
                aside = target.with_name(f".{target.name}.old{uuid.uuid4().hex[:12]}")
            moves.append((temp, target, aside))
    return moves


def _add_rows(db, plan: ExportPlan, jobs: list[_Job], settings: ExportSettings, profile: str) -> list[ExportedClip]:
    marker_times = ([plan.region_starts[area - 1] for area, _sub in plan.areas] if plan.areas
                    else [plan.marker_time] * len(jobs))
    return [ExportedClip(final, job.start, settings.length,
                         db.add(plan.video.name, job.start, final, label=settings.label, category=settings.category,
                                profile=profile, source_path=str(plan.video), scan_export=bool(plan.areas),
                                length=settings.length, marker_time=marker_time, **settings.db_settings(job.stem)))
            for job, final, marker_time in zip(jobs, plan.clip_paths, marker_times)]


def _recheck_names(db, plan: ExportPlan, profile: str) -> ExportPlan:
    """Other exports may have committed while these clips encoded: join the vid folder this video got
    meanwhile, leave one another video took, and never reuse a name."""
    export_folder = plan.vid_folder.parent
    known = db.find_vid_folder(plan.video.name, profile, export_folder, plan.video)
    if known:
        vid_folder = export_folder / known
    elif db.vid_folder_in_use(export_folder, plan.vid_folder.name):
        vid_folder = layout.vid_folder_path(db, plan.video.name, profile, export_folder, plan.video)
    else:
        vid_folder = plan.vid_folder
    if vid_folder == plan.vid_folder and not any(layout.stem_taken(vid_folder, stem) for stem in plan.stems):
        return plan
    return replace(plan, vid_folder=vid_folder, counter=layout.next_counter(db, vid_folder))


def _remove_clip_files(path: Path) -> None:
    """An .mp4, or a WebP frame folder and the .wav beside it."""
    if path.is_dir():
        shutil.rmtree(path)
        path.with_name(path.name + ".wav").unlink(missing_ok=True)
    else:
        path.unlink(missing_ok=True)
