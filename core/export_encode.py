"""The ffmpeg worker pool of an export: every clip of a plan encoded to a hidden temp name by parallel ffmpeg
processes, each checked for its length; the first failure, or a cancel, kills the rest."""

from __future__ import annotations

import math
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from core.crop_path import crop_x_expression
from core.errors import FoleycutError
from core.export_plan import ExportPlan, ExportSettings, clip_plan, frame_at
from core.ffmpeg import ffmpeg_command, file_url, last_error_line
from core.probe import SOFTWARE_H264, H264Encoder, MediaError, choose_h264_encoder, probe
from core.progress import Progress, check_cancel

WEBP_FRAME_PATTERN = "frame_%04d.webp"


@dataclass(frozen=True)
class Job:
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
    start_us = math.floor(Fraction(frame_at(start, fps)) / fps * 1_000_000)
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


def clip_command(plan: ExportPlan, job: Job, settings: ExportSettings, encoder: H264Encoder) -> list[str]:
    """The ffmpeg argument list that encodes one clip to its temp path."""
    length = f"{settings.length:.6f}"
    seek, trim_at = _seek(job.start, plan.media.fps)
    crop_x = _moving_crop_x(plan, settings, job.start)
    source = [*seek, "-i", file_url(plan.video)]
    audio = ["-map", "0:a:0", "-af", f"atrim=start={trim_at},asetpts=PTS-STARTPTS", "-t", length, "-c:a", "pcm_s16le"]
    video = ["-map", "0:v:0", "-frames:v", str(plan.frames), "-t", length]
    if plan.fmt == "mp4":
        chain = ",".join([*_video_filters(plan, trim_at, crop_x), encoder.pixel_filter])
        args = [*encoder.input_args, *source, *video, "-vf", chain, *encoder.codec_args, *audio]
        args += ["-movflags", "+faststart", "-f", "mp4", file_url(job.temp)]
    else:
        assert job.temp_wav is not None  # a WebP clip's sound goes to a .wav beside its frames
        chain = ",".join(_video_filters(plan, trim_at, crop_x))
        args = [*source, *video, "-vf", chain, "-c:v", "libwebp", "-quality", "90"]
        args += ["-f", "image2", "-start_number", "1", image_pattern_url(job.temp, WEBP_FRAME_PATTERN)]
        args += [*audio, "-f", "wav", file_url(job.temp_wav)]
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


def _encode_one(
    plan: ExportPlan, job: Job, settings: ExportSettings, encoder: H264Encoder, stopped: Callable[[], bool]
) -> None:
    """Encode one clip to its temp path and check it; returns quietly when stopped."""
    if stopped():
        return
    where = f"clip {job.stem} at {job.start:.2f} s of {plan.video.name}"
    try:
        if job.temp_wav:
            job.temp.mkdir()
        returncode, stderr = _run_until_done(clip_command(plan, job, settings, encoder), stopped)
    except OSError as exc:
        raise FoleycutError(
            f"Could not write {where} ({exc.strerror or exc}): choose a writable export folder with free space."
        ) from exc
    if stopped():
        return
    if returncode != 0:
        raise FoleycutError(
            f"ffmpeg could not encode {where} ({last_error_line(stderr)}): "
            "check free space and write access in the export folder, then try again."
        )
    _check_clip_length(plan, job, settings, where)


def _check_clip_length(plan: ExportPlan, job: Job, settings: ExportSettings, where: str) -> None:
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
        raise FoleycutError(
            f"{where} came out {got:.2f} s long instead of {settings.length:g} s: the video may be "
            "damaged or truncated there; choose another time or repair the file."
        )


def encode_all(
    plan: ExportPlan,
    jobs: list[Job],
    settings: ExportSettings,
    progress: Progress | None,
    cancel: threading.Event | None,
) -> None:
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
        futures = [
            pool.submit(_encode_one, clip_plan(plan, settings, job.stem), job, settings, encoder, stopped)
            for job in jobs
        ]
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
    check_cancel(cancel, "Export cancelled: none of its clips was written.")
    if failure:
        raise failure


def prepare_folder(vid_folder: Path) -> None:
    """Make sure the vid folder exists and takes files."""
    try:
        vid_folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=vid_folder):
            pass
    except OSError as exc:
        raise FoleycutError(
            f"Cannot write to {vid_folder} ({exc.strerror or exc}): choose an export folder you can write to."
        ) from exc


def temp_paths(plan: ExportPlan, stem: str) -> tuple[Path, Path | None]:
    """Hidden names beside the final ones (same folder, so the final rename is atomic), unique to this
    export: another one running at the same time may have planned the same stem."""
    base = plan.vid_folder / f".{stem}.part{uuid.uuid4().hex[:12]}"
    if plan.fmt == "mp4":
        return base.with_name(base.name + ".mp4"), None
    return base, base.with_name(base.name + ".wav")
