"""Embedding models: the registry (core.model_registry), where their files are (core.model_folders) and
`load_embedder`, which turns a model name into a ready embedder.

An embedder maps equal-length 16 kHz chunks to frame features with their centre times; the window pooling
lives in core.window_embeddings. `MEL` is built in (numpy); the others are torch models (core.embedders),
read from a local folder or downloaded once into the data home (core.model_download). Loading runs no code
from any folder: EAT and BEATs are written out in this project and read weights only; the transformers
models load with remote code refused. Nothing here imports torch or transformers until a model loads.
A model that cannot be had (offline, no folder chosen) fails once: later calls in the same run raise the
same one-line error at once instead of retrying the network for every file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Protocol

import numpy as np

from core import model_download
from core.devices import Device, pick_device
from core.embedders import EMBEDDERS, AstEmbedder, BeatsEmbedder, EatEmbedder, Wav2Vec2StyleEmbedder
from core.home import DataHome
from core.mel import MelEmbedder
from core.model_folders import (
    MODEL_FOLDERS_FILE,
    ModelStatus,
    is_downloaded,
    list_models,
    local_dir_for,
    model_folders,
    set_model_folder,
)
from core.model_registry import DEFAULT_MODEL, MODELS, ModelSpec, get_spec
from core.model_weights import ModelUnavailable

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "MODEL_FOLDERS_FILE",
    "AstEmbedder",
    "BeatsEmbedder",
    "EatEmbedder",
    "FrameEmbedder",
    "ModelSpec",
    "ModelStatus",
    "ModelUnavailable",
    "Wav2Vec2StyleEmbedder",
    "forget_unavailable",
    "get_spec",
    "is_downloaded",
    "list_models",
    "load_embedder",
    "local_dir_for",
    "model_folders",
    "set_model_folder",
]

UNAVAILABLE_SECONDS = 600  # how long a failed download is remembered: one scan run, not the whole session
_unavailable: dict[tuple[str, str], tuple[float, str]] = {}  # (model, data home) -> (when, message)


class FrameEmbedder(Protocol):
    name: str
    frame_dim: int  # features per frame
    dim: int  # features per pooled window: frame_dim times the statistics pooled
    pooling: str  # one of core.window_embeddings.POOLINGS
    chunk_seconds: float  # audio per model call, context excluded
    context_seconds: float  # extra audio on each side of a chunk whose frames are discarded
    batch_size: int

    def frames(self, chunks: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For equal-length chunks: per chunk (frame centre times in seconds from its start, (n, frame_dim))."""


def forget_unavailable() -> None:
    """Let the next `load_embedder` try the network again (after the user went online, say)."""
    _unavailable.clear()


def load_embedder(
    name: str, home: DataHome, device: Device | str | None = None, local_dir: str | os.PathLike | None = None
) -> FrameEmbedder:
    """An embedder ready to run; torch models load from `local_dir`, `$FOLEYCUT_<NAME>_DIR`, the folder saved
    with `set_model_folder`, or the data home's download cache (downloading there on first use)."""
    spec = get_spec(name)
    if spec.builtin:
        return MelEmbedder()
    folder = local_dir_for(spec, local_dir, home)
    if folder is None:
        folder = _downloaded_folder(spec, home)
    if not isinstance(device, Device):
        device = pick_device(device)
    try:
        return EMBEDDERS[spec.family].load(spec, folder, device)
    except (OSError, ValueError, ImportError) as exc:
        raise _unavailable_error(spec, f"the folder {folder}", exc) from exc


def _downloaded_folder(spec: ModelSpec, home: DataHome) -> Path:
    """The download-cache folder of `spec`, fetching it first; a failure is remembered for a while."""
    key = (spec.name, str(home.root))
    failed = _unavailable.get(key)
    if failed is not None and time.monotonic() - failed[0] < UNAVAILABLE_SECONDS:
        raise ModelUnavailable(failed[1])
    try:
        folder = model_download.fetch(spec, home)
    except (OSError, ValueError) as exc:
        error = _unavailable_error(spec, "the download cache", exc)
        _unavailable[key] = (time.monotonic(), str(error))
        raise error from exc
    _unavailable.pop(key, None)
    return folder


def _unavailable_error(spec: ModelSpec, where: str, exc: Exception) -> ModelUnavailable:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return ModelUnavailable(
        f"{spec.name} weights could not be loaded from {where} ({reason[:160]}). Connect to the internet "
        f"once to download them into the data home, or download {spec.source} elsewhere and choose that "
        f'folder (Train dialog "Model folder...", or `main.py models folder {spec.name} DIR`, or set '
        f"{spec.local_dir_variable})."
    )
