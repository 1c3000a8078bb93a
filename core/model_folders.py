"""Where a model's files are on this machine: a folder chosen for good (model_folders.json in the data home),
`$FOLEYCUT_<NAME>_DIR`, or the data home's download cache. Only file names are looked at here: nothing in a
folder is imported or executed, now or when the model loads (see core.eat_model, core.model_weights).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from core.atomic_write import write_json_atomically
from core.errors import FoleycutError
from core.home import DataHome
from core.model_registry import BEATS_CHECKPOINT, MODELS, ModelSpec, get_spec

MODEL_FOLDERS_FILE = "model_folders.json"  # in the data home: {model name: folder chosen for its weights}
WEIGHT_FILES = (
    "model.safetensors",
    "pytorch_model.bin",
    "model.safetensors.index.json",
    "pytorch_model.bin.index.json",
)
BEATS_CACHE = "beats"  # sub-folder of the download cache for the BEATs checkpoint


@dataclass(frozen=True)
class ModelStatus:
    name: str
    dim: int
    builtin: bool
    downloaded: bool


def beats_checkpoint(folder: Path) -> Path | None:
    """The BEATs checkpoint in `folder`: the pinned file, else its only `.pt` file."""
    pinned = folder / BEATS_CHECKPOINT
    if pinned.is_file():
        return pinned
    found = sorted(path for path in folder.glob("*.pt") if path.is_file())
    return found[0] if len(found) == 1 else None


def missing_weights(folder: Path, spec: ModelSpec) -> str | None:
    """What keeps `folder` from being `spec`'s model folder, or None when it holds what the loader reads."""
    if not folder.is_dir():
        return "it is not a folder"
    if spec.family == "beats":
        return None if beats_checkpoint(folder) else f"no BEATs checkpoint ({BEATS_CHECKPOINT}) or several .pt files"
    if not (folder / "config.json").is_file():
        return "config.json is missing"
    if spec.family == "eat":  # EAT is read from safetensors only
        return None if (folder / "model.safetensors").is_file() else "model.safetensors is missing"
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        return f"no weights file ({' or '.join(WEIGHT_FILES[:2])})"
    return None


def model_folders(home: DataHome) -> dict[str, Path]:
    """The folders chosen with `set_model_folder`, by model name; an unreadable file counts as no choice."""
    try:
        saved = json.loads((home.root / MODEL_FOLDERS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(saved, dict):
        return {}
    return {name: Path(folder) for name, folder in saved.items() if name in MODELS and isinstance(folder, str)}


def set_model_folder(home: DataHome, name: str, folder: str | os.PathLike | None) -> Path | None:
    """Remember `folder` as where model `name` loads from from now on (None forgets the choice).

    The folder must hold the model's config and weights; returns the absolute folder saved.
    """
    spec = get_spec(name)
    if spec.builtin:
        raise FoleycutError(f"{name} is built in and needs no model folder.")
    chosen = model_folders(home)
    if folder is None:
        chosen.pop(name, None)
        saved = None
    else:
        saved = Path(folder).expanduser().resolve()
        missing = missing_weights(saved, spec)
        if missing:
            wanted = (
                f"the BEATs checkpoint ({BEATS_CHECKPOINT})"
                if spec.family == "beats"
                else f"{spec.source}'s config.json and weights"
            )
            raise FoleycutError(
                f"{saved} cannot be the {name} model folder: {missing}. Choose the folder that holds {wanted}."
            )
        chosen[name] = saved
    write_json_atomically(
        home.root / MODEL_FOLDERS_FILE, {key: str(path) for key, path in sorted(chosen.items())}, indent=2
    )
    return saved


def local_dir_for(
    spec: ModelSpec, local_dir: str | os.PathLike | None = None, home: DataHome | None = None
) -> Path | None:
    """The folder to load from instead of the download cache: the explicit one, else the env variable,
    else the folder saved for this model in `home`."""
    chosen = local_dir or os.environ.get(spec.local_dir_variable)
    if chosen:
        return Path(chosen).expanduser()
    return model_folders(home).get(spec.name) if home is not None else None


def cached_folders(spec: ModelSpec, home: DataHome) -> list[Path]:
    """Folders of the download cache that may hold `spec`'s files."""
    if spec.family == "beats":
        return [home.hf_cache_dir / BEATS_CACHE]
    if spec.repo_id is None:
        return []  # built in: nothing is downloaded
    snapshots = home.hf_cache_dir / f"models--{spec.repo_id.replace('/', '--')}" / "snapshots"
    return sorted(snapshots.iterdir()) if snapshots.is_dir() else []


def is_downloaded(spec: ModelSpec, home: DataHome, local_dir: str | os.PathLike | None = None) -> bool:
    """Weights present locally: in the chosen folder, or in the data home's download cache."""
    if spec.builtin:
        return True
    folder = local_dir_for(spec, local_dir, home)
    if folder is not None:
        return missing_weights(folder, spec) is None
    return any(missing_weights(cached, spec) is None for cached in cached_folders(spec, home))


def list_models(home: DataHome, local_dirs: Mapping[str, str | os.PathLike] | None = None) -> list[ModelStatus]:
    local_dirs = local_dirs or {}
    return [
        ModelStatus(spec.name, spec.dim, spec.builtin, is_downloaded(spec, home, local_dirs.get(spec.name)))
        for spec in MODELS.values()
    ]
