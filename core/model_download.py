"""Fetching a model's files into the data home's download cache, once: only the JSON configs and the weights
(never a repository's Python), at the revision the registry pins.

Offline, the Hugging Face client retries every request for about 50 s and logs a line per try; one quick
probe of the Hub decides first whether to try at all, and the client's retry warnings are kept quiet.
"""

from __future__ import annotations

import contextlib
import logging
import urllib.request
from pathlib import Path

from core.atomic_write import replacing
from core.home import DataHome
from core.model_folders import BEATS_CACHE, missing_weights
from core.model_registry import BEATS_CHECKPOINT, ModelSpec

PROBE_TIMEOUT_SECONDS = 10
DOWNLOAD_TIMEOUT_SECONDS = 60
# per family: files that must exist, files read when present, weight files in order of preference
HUB_FILES = {
    "eat": (("config.json",), (), ("model.safetensors",)),
    "wav2vec2": (("config.json",), ("preprocessor_config.json",), ("model.safetensors", "pytorch_model.bin")),
    "ast": (("config.json",), ("preprocessor_config.json",), ("model.safetensors", "pytorch_model.bin")),
}


class Offline(OSError):
    """The weights are not in the cache and the source cannot be reached."""


def fetch(spec: ModelSpec, home: DataHome) -> Path:
    """A local folder with `spec`'s files: from the cache when there, else downloaded into it."""
    if spec.family == "beats":
        return _fetch_beats(spec, home)
    try:
        return _hub_files(spec, home, local_only=True)
    except FileNotFoundError:
        pass
    if not hub_reachable():
        raise Offline(f"huggingface.co cannot be reached and {spec.repo_id} is not in the download cache")
    with quiet_hub():
        return _hub_files(spec, home, local_only=False)


def _hub_files(spec: ModelSpec, home: DataHome, local_only: bool) -> Path:
    """Download (or, with `local_only`, find in the cache) the files of HUB_FILES; FileNotFoundError when a
    needed one is missing."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

    absent = (EntryNotFoundError, LocalEntryNotFoundError)
    repo_id = spec.repo_id
    assert repo_id is not None  # fetch sends only Hugging Face models here

    def get(filename: str) -> Path | None:
        try:
            return Path(
                hf_hub_download(
                    repo_id,
                    filename,
                    revision=spec.revision,
                    cache_dir=str(home.hf_cache_dir),
                    local_files_only=local_only,
                )
            )
        except absent:
            return None

    required, optional, weights = HUB_FILES[spec.family]
    found = [get(name) for name in required]
    present = [path for path in found if path is not None]
    if len(present) < len(found):
        raise FileNotFoundError(f"{repo_id} has no {required[found.index(None)]}")
    for name in optional:
        get(name)
    if not any(get(name) for name in weights):
        raise FileNotFoundError(f"{repo_id} has no {' or '.join(weights)}")
    return present[0].parent


def hub_reachable() -> bool:
    """One request, no retries: can the Hugging Face Hub be reached at all?"""
    import requests
    from huggingface_hub import constants
    from huggingface_hub.utils import get_session

    if constants.HF_HUB_OFFLINE:
        return False
    try:
        get_session().head(constants.ENDPOINT, timeout=PROBE_TIMEOUT_SECONDS)
    except requests.RequestException:
        return False
    return True


@contextlib.contextmanager
def quiet_hub():
    """Keep the Hub client's per-retry warnings out of the console while downloading."""
    hub_logger = logging.getLogger("huggingface_hub")
    previous = hub_logger.level
    hub_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        hub_logger.setLevel(previous)


def _fetch_beats(spec: ModelSpec, home: DataHome) -> Path:
    folder = home.hf_cache_dir / BEATS_CACHE
    if folder.is_dir() and missing_weights(folder, spec) is None:
        return folder
    assert spec.url is not None  # the BEATs entry names its checkpoint's address
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with (
            replacing(folder / BEATS_CHECKPOINT, suffix=".part") as temp,
            temp.open("wb") as out,
            urllib.request.urlopen(spec.url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as got,
        ):
            while block := got.read(1 << 20):
                out.write(block)
    except OSError as exc:  # URLError and timeouts are OSErrors
        raise Offline(f"the BEATs checkpoint could not be downloaded ({exc.__class__.__name__})") from None
    return folder
