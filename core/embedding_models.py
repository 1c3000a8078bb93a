"""The embedding-model registry and the embedders that turn audio chunks into frame features.

An embedder maps equal-length 16 kHz chunks to frame features with their centre times; the window
pooling lives in core.window_embeddings. `MEL` is built in (numpy); the others are Hugging Face
transformers models, downloaded once into the data home (or read from a local folder), loaded lazily:
nothing here imports torch or transformers until `load_embedder` is asked for such a model.
A local folder can be given per call, through `$FOLEYCUT_<NAME>_DIR`, or chosen once for good with
`set_model_folder` (kept in the data home's model_folders.json).
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Protocol

import numpy as np

from core import eat_features
from core.audio import SAMPLE_RATE
from core.devices import Device, batch_size_for, fits_in_memory, pick_device, transformer_chunk_bytes
from core.errors import FoleycutError
from core.home import DataHome
from core.mel import MelEmbedder

DEFAULT_MODEL = "MEL"
HOST_BATCH_BYTES = 32 << 20  # audio in + features out per batch: a 3-hour GPU scan stays < 500 MB of RAM
MODEL_FOLDERS_FILE = "model_folders.json"  # in the data home: {model name: folder chosen for its weights}
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json",
                "pytorch_model.bin.index.json")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    repo_id: str | None  # None: built in, nothing to download
    revision: str | None  # pinned Hugging Face revision
    dim: int  # length of one window embedding
    sample_rate: int
    family: str  # "mel", "wav2vec2" (HuBERT too), "ast", "eat"
    description: str

    @property
    def builtin(self) -> bool:
        return self.repo_id is None

    @property
    def local_dir_variable(self) -> str:
        """Environment variable naming a folder that holds this model's files (config + weights)."""
        return f"FOLEYCUT_{self.name}_DIR"


# Revisions are "main": no commit hash could be verified offline when this registry was written.
MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in (
    ModelSpec("MEL", None, None, 2 * MelEmbedder.frame_dim, SAMPLE_RATE, "mel",
              "log-mel statistics, built in, no download"),
    ModelSpec("HUBERT_BASE", "facebook/hubert-base-ls960", "main", 768, SAMPLE_RATE, "wav2vec2", "HuBERT base (95 M)"),
    ModelSpec("HUBERT_LARGE", "facebook/hubert-large-ll60k", "main", 1024, SAMPLE_RATE, "wav2vec2",
              "HuBERT large (316 M)"),
    ModelSpec("HUBERT_XLARGE", "facebook/hubert-xlarge-ll60k", "main", 1280, SAMPLE_RATE, "wav2vec2",
              "HuBERT extra large (1 B)"),
    ModelSpec("WAV2VEC2_BASE", "facebook/wav2vec2-base", "main", 768, SAMPLE_RATE, "wav2vec2", "wav2vec 2.0 base"),
    ModelSpec("WAV2VEC2_LARGE", "facebook/wav2vec2-large-lv60", "main", 1024, SAMPLE_RATE, "wav2vec2",
              "wav2vec 2.0 large"),
    ModelSpec("AST", "MIT/ast-finetuned-audioset-10-10-0.4593", "main", 768, SAMPLE_RATE, "ast",
              "Audio Spectrogram Transformer (AudioSet)"),
    ModelSpec("EAT", "worstchan/EAT-base_epoch30_finetune_AS2M", "main", 768, SAMPLE_RATE, "eat",
              "EAT base (AudioSet)"),
    ModelSpec("EAT_LARGE", "worstchan/EAT-large_epoch18_finetune_AS2M", "main", 1024, SAMPLE_RATE, "eat",
              "EAT large (AudioSet)"),
)}


class ModelUnavailable(FoleycutError):
    """A model's weights are neither downloaded nor downloadable, nor in a local folder."""


class FrameEmbedder(Protocol):
    name: str
    frame_dim: int  # features per frame
    dim: int  # features per pooled window: frame_dim, or 2 * frame_dim for "mean_std"
    pooling: str  # "mean" or "mean_std"
    chunk_seconds: float  # audio per model call, context excluded
    context_seconds: float  # extra audio on each side of a chunk whose frames are discarded
    batch_size: int

    def frames(self, chunks: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For equal-length chunks: per chunk (frame centre times in seconds from its start, (n, frame_dim))."""


@dataclass(frozen=True)
class ModelStatus:
    name: str
    dim: int
    builtin: bool
    downloaded: bool


def get_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise FoleycutError(f"Unknown embedding model {name!r}; choose one of {', '.join(MODELS)}.") from None


def _missing_weights(folder: Path) -> str | None:
    """What keeps `folder` from being a model folder, or None when it holds config and weights."""
    if not folder.is_dir():
        return "it is not a folder"
    if not (folder / "config.json").is_file():
        return "config.json is missing"
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        return f"no weights file ({' or '.join(WEIGHT_FILES[:2])})"
    return None


def _holds_weights(folder: Path) -> bool:
    return _missing_weights(folder) is None


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

    The folder must hold config.json and a weights file; returns the absolute folder saved.
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
        missing = _missing_weights(saved)
        if missing:
            raise FoleycutError(f"{saved} cannot be the {name} model folder: {missing}. Choose the folder that "
                                f"holds {spec.repo_id}'s config.json and weights.")
        chosen[name] = saved
    _write_json_atomically(home.root / MODEL_FOLDERS_FILE, {key: str(path) for key, path in sorted(chosen.items())})
    return saved


def _write_json_atomically(path: Path, data: dict) -> None:
    """Readers see the old file or the new one, never half of one."""
    handle, temp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def local_dir_for(spec: ModelSpec, local_dir: str | os.PathLike | None = None,
                  home: DataHome | None = None) -> Path | None:
    """The folder to load from instead of the download cache: the explicit one, else the env variable,
    else the folder saved for this model in `home`."""
    chosen = local_dir or os.environ.get(spec.local_dir_variable)
    if chosen:
        return Path(chosen).expanduser()
    return model_folders(home).get(spec.name) if home is not None else None


def is_downloaded(spec: ModelSpec, home: DataHome, local_dir: str | os.PathLike | None = None) -> bool:
    """Weights present locally: in the chosen folder, or as a snapshot in the data home's HF cache."""
    if spec.builtin:
        return True
    folder = local_dir_for(spec, local_dir, home)
    if folder is not None:
        return _holds_weights(folder)
    snapshots = home.hf_cache_dir / f"models--{spec.repo_id.replace('/', '--')}" / "snapshots"
    return snapshots.is_dir() and any(_holds_weights(snap) for snap in snapshots.iterdir())


def list_models(home: DataHome, local_dirs: Mapping[str, str | os.PathLike] | None = None) -> list[ModelStatus]:
    local_dirs = local_dirs or {}
    return [ModelStatus(spec.name, spec.dim, spec.builtin, is_downloaded(spec, home, local_dirs.get(spec.name)))
            for spec in MODELS.values()]


def load_embedder(name: str, home: DataHome, device: Device | str | None = None,
                  local_dir: str | os.PathLike | None = None) -> FrameEmbedder:
    """An embedder ready to run; transformers models load from `local_dir`, `$FOLEYCUT_<NAME>_DIR`, the
    folder saved with `set_model_folder`, or the data home's download cache (downloading there on first use)."""
    spec = get_spec(name)
    if spec.builtin:
        return MelEmbedder()
    if not isinstance(device, Device):
        device = pick_device(device)
    folder = local_dir_for(spec, local_dir, home)
    if folder is not None:
        source, options = str(folder), {}
    else:
        source, options = spec.repo_id, {"revision": spec.revision, "cache_dir": str(home.hf_cache_dir)}
    try:
        return _EMBEDDERS[spec.family].load(spec.name, source, options, device)
    except (OSError, ValueError, ImportError) as exc:
        where = f"the folder {folder}" if folder else f"Hugging Face ({spec.repo_id})"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise ModelUnavailable(
            f"{spec.name} weights could not be loaded from {where} ({reason[:160]}). Connect to the internet "
            f"once to download them into the data home, or download {spec.repo_id} elsewhere and choose that "
            f"folder (Train dialog \"Model folder...\", or `main.py models folder {spec.name} DIR`, or set "
            f"{spec.local_dir_variable})."
        ) from exc


def _config_value(config, *names: str) -> int:
    """The first of `names` the config has: transformers configs and EAT's remote one name widths differently."""
    for name in names:
        if getattr(config, name, None) is not None:
            return int(getattr(config, name))
    raise ValueError(f"model config has none of {', '.join(names)}")


class _TorchEmbedder:
    """Shared plumbing: device placement, precision, inference mode, memory-based batch size."""

    pooling = "mean"

    def __init__(self, name: str, model, device: Device):
        self.name = name
        self.device = device
        self.model = model.to(device=device.kind, dtype=device.torch_dtype).eval()
        self.frame_dim = self.dim = _config_value(model.config, "hidden_size", "embed_dim")
        self.chunk_seconds = self._chunk_seconds()
        seconds = self.chunk_seconds + 2 * self.context_seconds
        # on a CPU the threads already share one item; batching only pays on a GPU, where host memory
        # (audio in, frame features out) bounds the batch as much as the GPU's own does
        host_bytes = round(seconds * (SAMPLE_RATE + self.frames_per_second * self.dim) * 4)
        self.batch_size = 1 if device.kind == "cpu" else min(
            batch_size_for(device.free_bytes, self._chunk_bytes(seconds)), max(1, HOST_BATCH_BYTES // host_bytes))

    def _chunk_bytes(self, seconds: float) -> int:
        heads = _config_value(self.model.config, "num_attention_heads", "num_heads")
        return transformer_chunk_bytes(seconds, self.frames_per_second, self.dim, heads,
                                       2 if self.device.half else 4)

    def frames(self, chunks: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        import torch

        with torch.inference_mode():
            return self._frames(chunks)

    def _to_model(self, array):
        import torch

        return torch.as_tensor(array).to(device=self.device.kind, dtype=self.device.torch_dtype)

    @staticmethod
    def _to_numpy(tensor) -> np.ndarray:
        return tensor.float().cpu().numpy()


class Wav2Vec2StyleEmbedder(_TorchEmbedder):
    """HuBERT and wav2vec 2.0: raw waveform in, one frame per 20 ms out (conv stride 320, receptive 400)."""

    frames_per_second = SAMPLE_RATE / 320
    # reaches past the positional convolution's first layers; a window cut out on its own has no context
    # at all at its edges, so the pooled path is never worse there
    context_seconds = 0.5
    chunk_choices = (8.0, 10.0, 12.0, 15.0, 20.0, 30.0)

    def __init__(self, name: str, model, feature_extractor, device: Device):
        super().__init__(name, model, device)
        self.extractor = feature_extractor

    def _chunk_seconds(self) -> float:
        """The chunk length with the least compute per audio second among those that fit in memory.

        Context is wasted work (long chunks waste less) while attention grows with length (short chunks
        pay less): per frame, attention over T frames costs about T / (6 * hidden) of the linear layers.
        """
        attention_per_frame = self.frames_per_second / (6 * self.dim)

        def cost(seconds: float) -> float:
            total = seconds + 2 * self.context_seconds
            return total / seconds * (1 + attention_per_frame * total)

        affordable = [seconds for seconds in self.chunk_choices
                      if fits_in_memory(self.device.free_bytes, self._chunk_bytes(seconds + 2 * self.context_seconds))]
        return min(affordable or self.chunk_choices[:1], key=cost)

    @classmethod
    def load(cls, name, source, options, device):
        from transformers import AutoModel, Wav2Vec2FeatureExtractor

        model = AutoModel.from_pretrained(source, **options)
        try:
            extractor = Wav2Vec2FeatureExtractor.from_pretrained(source, **options)
        except OSError:  # some checkpoints ship no preprocessor_config.json: layer-norm models want normalised input
            extractor = Wav2Vec2FeatureExtractor(do_normalize=model.config.feat_extract_norm == "layer")
        return cls(name, model, extractor, device)

    def _frames(self, chunks):
        values = self.extractor(chunks, sampling_rate=SAMPLE_RATE, return_tensors="np").input_values
        hidden = self._to_numpy(self.model(self._to_model(values)).last_hidden_state)
        centres = (np.arange(hidden.shape[1]) * 320 + 200) / SAMPLE_RATE
        return [(centres, h) for h in hidden]


class AstEmbedder(_TorchEmbedder):
    """Audio Spectrogram Transformer: at most `max_length` fbank frames per call; patch tokens (frequency-
    major grid) are averaged over frequency into one feature per time column."""

    frames_per_second = 10.0
    context_seconds = 0.5

    def __init__(self, name: str, model, feature_extractor, device: Device):
        config = model.config
        self.freq_patches = (config.num_mel_bins - config.patch_size) // config.frequency_stride + 1
        self.time_patches = (config.max_length - config.patch_size) // config.time_stride + 1
        super().__init__(name, model, device)
        self.extractor = feature_extractor

    def _chunk_seconds(self) -> float:
        capacity = ((self.model.config.max_length - 1) * 160 + 400) / SAMPLE_RATE
        # whole seconds: chunk starts then fall on the 0.1 s patch grid, like the 1 s-hop window starts
        return float(math.floor(capacity - 2 * self.context_seconds))

    @classmethod
    def load(cls, name, source, options, device):
        from transformers import ASTFeatureExtractor, ASTModel

        return cls(name, ASTModel.from_pretrained(source, **options),
                   ASTFeatureExtractor.from_pretrained(source, **options), device)

    def _frames(self, chunks):
        config = self.model.config
        values = self.extractor(chunks, sampling_rate=SAMPLE_RATE, return_tensors="np").input_values
        hidden = self._to_numpy(self.model(self._to_model(values)).last_hidden_state)
        n_patches = self.freq_patches * self.time_patches
        columns = hidden[:, -n_patches:].reshape(len(chunks), self.freq_patches, self.time_patches, -1).mean(axis=1)
        centres = ((np.arange(self.time_patches) * config.time_stride + (config.patch_size - 1) / 2) * 0.01
                   + 200 / SAMPLE_RATE)
        keep = centres < len(chunks[0]) / SAMPLE_RATE  # columns made of padding carry no audio
        return [(centres[keep], c[keep]) for c in columns]


class EatEmbedder(_TorchEmbedder):
    """EAT (remote code): 1024-frame normalised fbank in, CLS + 16 x 16 patch tokens out."""

    frames_per_second = 1 / (eat_features.PATCH * eat_features.FRAME_SHIFT_SECONDS)
    context_seconds = 0.5

    def _chunk_seconds(self) -> float:
        return float(math.floor(eat_features.CAPACITY_SECONDS - 2 * self.context_seconds))

    @classmethod
    def load(cls, name, source, options, device):
        from transformers import AutoModel

        return cls(name, AutoModel.from_pretrained(source, trust_remote_code=True, **options), device)

    def _frames(self, chunks):
        inputs = np.stack([eat_features.eat_input(chunk) for chunk in chunks])[:, None]  # (B, 1, T, F)
        tokens = self._to_numpy(self.model.extract_features(self._to_model(inputs)))
        out = []
        for chunk, chunk_tokens in zip(chunks, tokens):
            columns = eat_features.patch_columns(chunk_tokens)
            centres = eat_features.column_centres(len(columns))
            keep = centres < len(chunk) / SAMPLE_RATE  # columns made of padding carry no audio
            out.append((centres[keep], columns[keep]))
        return out


_EMBEDDERS = {"wav2vec2": Wav2Vec2StyleEmbedder, "ast": AstEmbedder, "eat": EatEmbedder}
