"""What training reads from the database: each source video's positive, ambiguous and negative times."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from core.store.connection import Part


class TrainingVideo(NamedTuple):
    """One source video's training material (still a 4-tuple for callers that unpack it)."""

    source_path: str
    positives: list[tuple[float, float]]  # (start, length) of clips in a positive folder
    ambiguous: list[tuple[float, float]]  # (start, length) of its other clips: never drawn as negatives
    negatives: list[float]  # start times: negative-folder clips and hard negatives


@dataclass
class _Collected:
    """One video's rows while they are sorted into classes."""

    positives: list[tuple[float, float]] = field(default_factory=list)
    ambiguous: list[tuple[float, float]] = field(default_factory=list)
    negatives: list[float] = field(default_factory=list)


class TrainingData(Part):
    """Training records, joined from clips and hard negatives."""

    def get_training_data(
        self,
        profile: str,
        positive_folder: str | Sequence[str],
        negative_folder: str | None = None,
        include_scan_exports: bool = False,
        use_hard_negatives: bool = True,
    ) -> list[TrainingVideo]:
        """One `TrainingVideo(source_path, positives, ambiguous, negatives)` per source video that exists on
        disk and has positives or explicit negatives.

        Folders are matched by export-folder name (a full path works too); several positive folders are
        one class. `ambiguous` holds the video's
        clips in any other folder, and scan exports when they are not included, so training never draws
        automatic negatives from them. `negatives` are start times: negative-folder clips and hard negatives.
        """
        positives = [positive_folder] if isinstance(positive_folder, (str, os.PathLike)) else positive_folder
        positive = {Path(folder).name for folder in positives}
        negative = Path(negative_folder).name if negative_folder else None
        videos: dict[str, _Collected] = defaultdict(_Collected)
        source_of: dict[str, str] = {}
        with self._read() as conn:
            # A video that moved is read where it lies now.
            clips = conn.execute(
                """SELECT p.filename, COALESCE(v.path, p.source_path), p.start_time, p.length, p.export_folder,
                          p.scan_export FROM processed p LEFT JOIN videos v ON v.id = p.video_id
                   WHERE p.profile = ? AND p.source_path != '' ORDER BY p.start_time, p.id""",
                (profile,),
            ).fetchall()
            hard_negatives = (
                conn.execute(
                    """SELECT h.filename, COALESCE(v.path, h.source_path), h.start_time FROM hard_negatives h
                   LEFT JOIN videos v ON v.id = h.video_id WHERE h.profile = ? ORDER BY h.start_time""",
                    (profile,),
                ).fetchall()
                if use_hard_negatives
                else []
            )
        for filename, source, start, length, folder, scan_export in clips:
            source_of.setdefault(filename, source)
            video = videos[source]
            counted = include_scan_exports or not scan_export
            folder_name = Path(folder).name
            if counted and folder_name in positive:
                video.positives.append((start, length))
            elif counted and folder_name == negative:
                video.negatives.append(start)
            else:
                video.ambiguous.append((start, length))
        for filename, source, start in hard_negatives:
            source = source or source_of.get(filename, "")
            if source:
                videos[source].negatives.append(start)
        return [
            TrainingVideo(source, video.positives, video.ambiguous, sorted(video.negatives))
            for source, video in sorted(videos.items())
            if (video.positives or video.negatives) and Path(source).is_file()
        ]
