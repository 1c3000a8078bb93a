"""The torch embedders: each turns equal-length 16 kHz chunks into frame features with their centre times
(see core.embedding_models.FrameEmbedder). A multi-layer model (`layers` of the registry) concatenates the
hidden states of several depths per frame, so its frames are `len(layers)` times as wide.

Each `load` reads a local folder only; torch and transformers are imported inside.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from core import eat_features, fbank
from core.audio import SAMPLE_RATE
from core.devices import Device, batch_size_for, fits_in_memory, transformer_chunk_bytes
from core.model_registry import ModelSpec

HOST_BATCH_BYTES = 32 << 20  # audio in + features out per batch: a 3-hour GPU scan stays < 500 MB of RAM


def depths_for(layers: tuple[float, ...], total: int) -> tuple[int, ...]:
    """Block depths (1-based) at the given fractions of a `total`-block model: quartiles of 48 -> 12, 24, 36, 48."""
    return tuple(min(total, max(1, math.ceil(fraction * total - 1e-9))) for fraction in layers)


class _TorchEmbedder(ABC):
    """Shared plumbing: device placement, precision, inference mode, memory-based batch size, layer choice."""

    pooling = "mean"
    frames_per_second: float  # each model family sets these two
    context_seconds: float  # audio on either side of a chunk, fed to the model and not kept

    @classmethod
    @abstractmethod
    def load(cls, spec: ModelSpec, folder: Path, device: Device) -> _TorchEmbedder:
        """The embedder of the model in `folder` (a local folder only), on `device`."""

    @abstractmethod
    def _chunk_seconds(self) -> float:
        """Seconds of audio (context left out) one forward pass takes."""

    @abstractmethod
    def _frames(self, chunks: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """(frame centres in seconds, frame features) for each chunk, inside inference mode."""

    def __init__(self, name: str, model, device: Device, layers: tuple[float, ...] = (1.0,)):
        self.name = name
        self.device = device
        self.model = model.to(device=device.kind, dtype=device.torch_dtype).eval()
        # transformers configs and the native ones (core.eat_model, core.beats_model) share these names
        self.hidden = int(model.config.hidden_size)
        self.depths = depths_for(layers, self._model_depth())
        self.frame_dim = self.dim = self.hidden * len(self.depths)
        self.chunk_seconds = self._chunk_seconds()
        seconds = self.chunk_seconds + 2 * self.context_seconds
        # on a CPU the threads already share one item; batching only pays on a GPU, where host memory
        # (audio in, frame features out) bounds the batch as much as the GPU's own does
        host_bytes = round(seconds * (SAMPLE_RATE + self.frames_per_second * self.dim) * 4)
        self.batch_size = (
            1
            if device.kind == "cpu"
            else min(
                batch_size_for(device.free_bytes, self._chunk_bytes(seconds)), max(1, HOST_BATCH_BYTES // host_bytes)
            )
        )

    def _model_depth(self) -> int:
        return int(self.model.config.num_hidden_layers)

    def _chunk_bytes(self, seconds: float) -> int:
        heads = int(self.model.config.num_attention_heads)
        value_bytes = 2 if self.device.half else 4
        # a multi-layer pass keeps hidden states until the end (transformers keeps every layer's)
        kept = (self._model_depth() + 1) * seconds * self.frames_per_second * self.hidden if len(self.depths) > 1 else 0
        return transformer_chunk_bytes(seconds, self.frames_per_second, self.hidden, heads, value_bytes) + round(
            kept * value_bytes
        )

    def frames(self, chunks: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        import torch

        with torch.inference_mode():
            return self._frames(chunks)

    def _to_model(self, array):
        import torch

        return torch.as_tensor(array).to(device=self.device.kind, dtype=self.device.torch_dtype)

    def _hf_layers(self, output) -> np.ndarray:
        """(batch, frames, dim): a transformers output's hidden states at `depths`, concatenated per frame.

        The last depth is `last_hidden_state` (normalised where the model normalises its output), so a
        multi-layer vector ends with the single-layer model's vector."""
        total = self._model_depth()
        chosen = [output.last_hidden_state if depth == total else output.hidden_states[depth] for depth in self.depths]
        return np.concatenate([self._to_numpy(states) for states in chosen], axis=-1)

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

    def __init__(self, name: str, model, feature_extractor, device: Device, layers: tuple[float, ...] = (1.0,)):
        super().__init__(name, model, device, layers)
        self.extractor = feature_extractor

    def _chunk_seconds(self) -> float:
        """The chunk length with the least compute per audio second among those that fit in memory.

        Context is wasted work (long chunks waste less) while attention grows with length (short chunks
        pay less): per frame, attention over T frames costs about T / (6 * hidden) of the linear layers.
        """
        attention_per_frame = self.frames_per_second / (6 * self.hidden)

        def cost(seconds: float) -> float:
            total = seconds + 2 * self.context_seconds
            return total / seconds * (1 + attention_per_frame * total)

        affordable = [
            seconds
            for seconds in self.chunk_choices
            if fits_in_memory(self.device.free_bytes, self._chunk_bytes(seconds + 2 * self.context_seconds))
        ]
        return min(affordable or self.chunk_choices[:1], key=cost)

    @classmethod
    def load(cls, spec: ModelSpec, folder: Path, device: Device):
        from transformers import AutoModel, Wav2Vec2FeatureExtractor

        # trust_remote_code=False: a config that names Python of its own is refused, never run
        model = AutoModel.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
        try:
            extractor = Wav2Vec2FeatureExtractor.from_pretrained(folder, local_files_only=True)
        except OSError:  # some checkpoints ship no preprocessor_config.json: layer-norm models want normalised input
            extractor = Wav2Vec2FeatureExtractor(do_normalize=model.config.feat_extract_norm == "layer")
        return cls(spec.name, model, extractor, device, spec.layers)

    def _frames(self, chunks):
        values = self.extractor(chunks, sampling_rate=SAMPLE_RATE, return_tensors="np").input_values
        hidden = self._hf_layers(self.model(self._to_model(values), output_hidden_states=len(self.depths) > 1))
        centres = (np.arange(hidden.shape[1]) * 320 + 200) / SAMPLE_RATE
        return [(centres, h) for h in hidden]


class AstEmbedder(_TorchEmbedder):
    """Audio Spectrogram Transformer: at most `max_length` fbank frames per call; patch tokens (frequency-
    major grid) are averaged over frequency into one feature per time column."""

    frames_per_second = 10.0
    context_seconds = 0.5

    def __init__(self, name: str, model, feature_extractor, device: Device, layers: tuple[float, ...] = (1.0,)):
        config = model.config
        self.freq_patches = (config.num_mel_bins - config.patch_size) // config.frequency_stride + 1
        self.time_patches = (config.max_length - config.patch_size) // config.time_stride + 1
        super().__init__(name, model, device, layers)
        self.extractor = feature_extractor

    def _chunk_seconds(self) -> float:
        capacity = ((self.model.config.max_length - 1) * 160 + 400) / SAMPLE_RATE
        # whole seconds: chunk starts then fall on the 0.1 s patch grid, like the 1 s-hop window starts
        return float(math.floor(capacity - 2 * self.context_seconds))

    @classmethod
    def load(cls, spec: ModelSpec, folder: Path, device: Device):
        from transformers import ASTFeatureExtractor, ASTModel

        return cls(
            spec.name,
            ASTModel.from_pretrained(folder, local_files_only=True),
            ASTFeatureExtractor.from_pretrained(folder, local_files_only=True),
            device,
            spec.layers,
        )

    def _frames(self, chunks):
        config = self.model.config
        values = self.extractor(chunks, sampling_rate=SAMPLE_RATE, return_tensors="np").input_values
        hidden = self._hf_layers(self.model(self._to_model(values), output_hidden_states=len(self.depths) > 1))
        n_patches = self.freq_patches * self.time_patches
        columns = hidden[:, -n_patches:].reshape(len(chunks), self.freq_patches, self.time_patches, -1).mean(axis=1)
        centres = (
            np.arange(self.time_patches) * config.time_stride + (config.patch_size - 1) / 2
        ) * 0.01 + 200 / SAMPLE_RATE
        keep = centres < len(chunks[0]) / SAMPLE_RATE  # columns made of padding carry no audio
        return [(centres[keep], c[keep]) for c in columns]


class EatEmbedder(_TorchEmbedder):
    """EAT (core.eat_model): 1024-frame normalised fbank in, CLS + 64 x 8 patch tokens out, averaged over
    frequency into one feature per 160 ms time column."""

    frames_per_second = 1 / (eat_features.PATCH * eat_features.FRAME_SHIFT_SECONDS)
    context_seconds = 0.5

    def _chunk_seconds(self) -> float:
        return float(math.floor(eat_features.CAPACITY_SECONDS - 2 * self.context_seconds))

    @classmethod
    def load(cls, spec: ModelSpec, folder: Path, device: Device):
        from core.eat_model import load_eat

        return cls(spec.name, load_eat(folder, spec.name), device, spec.layers)

    def _frames(self, chunks):
        inputs = self._to_model(np.stack([eat_features.eat_input(chunk) for chunk in chunks])[:, None])  # (B,1,T,F)
        layers = self.model.hidden_states(inputs, self.depths)
        tokens = np.concatenate([self._to_numpy(states) for states in layers], axis=-1)
        return [
            _columns_with_audio(eat_features.patch_columns(chunk_tokens), len(chunk))
            for chunk, chunk_tokens in zip(chunks, tokens)
        ]


class BeatsEmbedder(_TorchEmbedder):
    """BEATs (core.beats_model): the clip's own fbank (Povey window, no padding), 16 x 16 patch tokens out,
    averaged over frequency into one feature per 160 ms time column."""

    frames_per_second = 1 / (eat_features.PATCH * fbank.FRAME_SHIFT_SECONDS)
    context_seconds = 0.5
    chunk_seconds_total = 10.0  # AudioSet clips: the length BEATs was trained on

    def _chunk_seconds(self) -> float:
        return self.chunk_seconds_total - 2 * self.context_seconds

    @classmethod
    def load(cls, spec: ModelSpec, folder: Path, device: Device):
        from core.beats_model import load_beats

        return cls(spec.name, load_beats(folder, spec.name), device, spec.layers)

    def _frames(self, chunks):
        from core.beats_model import beats_input

        inputs = self._to_model(np.stack([beats_input(chunk) for chunk in chunks])[:, None])  # (B, 1, T, F)
        layers = self.model.hidden_states(inputs, self.depths)
        tokens = np.concatenate([self._to_numpy(states) for states in layers], axis=-1)
        return [
            _columns_with_audio(eat_features.patch_columns(chunk_tokens, prefix_tokens=0), len(chunk))
            for chunk, chunk_tokens in zip(chunks, tokens)
        ]


def _columns_with_audio(columns: np.ndarray, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """(centres, columns) of the 16-frame time columns whose centre lies inside the audio (not padding)."""
    centres = eat_features.column_centres(len(columns))
    keep = centres < n_samples / SAMPLE_RATE
    return centres[keep], columns[keep]


EMBEDDERS: dict[str, type[_TorchEmbedder]] = {
    "wav2vec2": Wav2Vec2StyleEmbedder,
    "ast": AstEmbedder,
    "eat": EatEmbedder,
    "beats": BeatsEmbedder,
}
