"""BEATs (Chen et al. 2022, "BEATs: Audio Pre-Training with Acoustic Tokenizers") written out in torch, so that
loading it reads only weights: Microsoft releases BEATs only as `torch.save`d checkpoints ({"cfg": dict,
"model": state dict}, fine-tuned ones with a "label_dict"), so they are read with torch's weights-only
unpickler (core.model_weights), which refuses anything but tensors and plain containers.

Input: the clip's Kaldi fbank (Povey window) of the waveform scaled to 16-bit range, normalised as
(x - 15.41663) / (2 * 6.55582), no padding. A 16 x 16 convolution cuts it into time-major patches (t * 8 + f),
LayerNorm, a projection to the encoder width, a grouped convolutional position embedding (weight-normed,
"same" padding, GELU) added, then post-norm transformer layers (DeepNorm residual scaling when configured)
whose attention adds a bucketed relative position bias, shared by all layers and gated per layer by the
query (`gru_rel_pos`). Parameter names are those of the released checkpoints.
torch is imported only when a network is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from core import fbank
from core.model_folders import beats_checkpoint
from core.model_weights import ModelUnavailable, load_state, read_torch_checkpoint

FBANK_MEAN = 15.41663
FBANK_STD = 6.55582
PCM_SCALE = 2**15  # BEATs computes its fbank on the waveform in 16-bit integer range
# torch's newer weight-norm parametrisation names the two halves of the position convolution differently
_WEIGHT_NORM_ALIASES = {
    "encoder.pos_conv.0.parametrizations.weight.original0": "encoder.pos_conv.0.weight_g",
    "encoder.pos_conv.0.parametrizations.weight.original1": "encoder.pos_conv.0.weight_v",
}


def beats_input(samples: np.ndarray) -> np.ndarray:
    """(frames, 128) normalised fbank of a 16 kHz clip, as BEATs' own preprocessing computes it."""
    features = fbank.kaldi_fbank(np.asarray(samples, dtype=np.float32) * PCM_SCALE, window="povey")
    return (features - FBANK_MEAN) / (2 * FBANK_STD)


@dataclass(frozen=True)
class BeatsConfig:
    """The architecture fields of a checkpoint's "cfg" (dropouts and training options are ignored)."""

    input_patch_size: int = 16
    embed_dim: int = 512
    conv_bias: bool = False
    encoder_layers: int = 12
    encoder_embed_dim: int = 768
    encoder_ffn_embed_dim: int = 3072
    encoder_attention_heads: int = 12
    layer_norm_first: bool = False
    deep_norm: bool = False
    conv_pos: int = 128
    conv_pos_groups: int = 16
    relative_position_embedding: bool = False
    num_buckets: int = 320
    max_distance: int = 1280
    gru_rel_pos: bool = False

    @classmethod
    def from_checkpoint(cls, cfg: dict) -> BeatsConfig:
        values: dict[str, Any] = {}
        for field in fields(cls):
            if field.name in cfg:
                value = cfg[field.name]
                if not isinstance(value, (int, float, bool)) or value != int(value):
                    raise ValueError(f"{field.name} is {value!r}")
                values[field.name] = bool(value) if field.type == "bool" else int(value)
        if cfg.get("activation_fn", "gelu") != "gelu":
            raise ValueError(f"activation {cfg['activation_fn']!r} is not supported")
        config = cls(**values)
        if config.encoder_embed_dim % config.encoder_attention_heads or config.encoder_layers < 1:
            raise ValueError("the attention heads must divide the encoder width")
        return config

    # the names core.embedders reads the shape under, as in transformers configs
    @property
    def hidden_size(self) -> int:
        return self.encoder_embed_dim

    @property
    def num_attention_heads(self) -> int:
        return self.encoder_attention_heads

    @property
    def num_hidden_layers(self) -> int:
        return self.encoder_layers


def load_beats(folder: Path, model: str):
    """The BEATs network of a folder holding a released checkpoint, in eval mode on the CPU."""
    path = beats_checkpoint(folder)
    if path is None:
        raise ModelUnavailable(f"{model}: {folder} holds no BEATs checkpoint (.pt); choose the folder of one.")
    checkpoint = read_torch_checkpoint(path, model)
    try:
        config = BeatsConfig.from_checkpoint(checkpoint["cfg"])
        state = dict(checkpoint["model"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelUnavailable(
            f"{model}: {path} is not a BEATs checkpoint ({exc.__class__.__name__}: {exc}); choose the folder of one."
        ) from None
    for new_name, old_name in _WEIGHT_NORM_ALIASES.items():  # a checkpoint re-saved by torch >= 2.1
        if new_name in state:
            state[old_name] = state.pop(new_name)
    network = build_beats(config)
    # the one relative-bias table is shared by every layer; the checkpoint repeats it under each layer's name
    repeated = tuple(f"encoder.layers.{i}.self_attn.relative_attention_bias." for i in range(1, config.encoder_layers))
    load_state(network, state, model, path, ignored_prefixes=("predictor.",) + repeated)
    return network.eval()


def build_beats(config: BeatsConfig):
    """A randomly initialised BEATs network of this shape."""
    return _network_class()(config)


def relative_position_buckets(length: int, num_buckets: int, max_distance: int):
    """(length, length) bucket of each key offset from each query: half the buckets per direction, exact
    below a quarter of them, logarithmic up to `max_distance`."""
    import torch

    offset = torch.arange(length)[None, :] - torch.arange(length)[:, None]
    half = num_buckets // 2
    exact = half // 2
    distance = offset.abs()
    spread = torch.log(distance.clamp(min=1).float() / exact) / math.log(max_distance / exact) * (half - exact)
    far = (exact + spread.long()).clamp(max=half - 1)
    return (offset > 0).long() * half + torch.where(distance < exact, distance, far)


@cache
def _network_class():
    """The torch modules, defined on first use so that importing this module does not import torch."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Attention(nn.Module):
        def __init__(self, config: BeatsConfig, holds_bias_table: bool):
            super().__init__()
            width, self.heads = config.encoder_embed_dim, config.encoder_attention_heads
            self.q_proj, self.k_proj = nn.Linear(width, width), nn.Linear(width, width)
            self.v_proj, self.out_proj = nn.Linear(width, width), nn.Linear(width, width)
            if holds_bias_table:
                self.relative_attention_bias = nn.Embedding(config.num_buckets, self.heads)
            self.gated = config.gru_rel_pos
            if self.gated:
                self.grep_linear = nn.Linear(width // self.heads, 8)
                self.grep_a = nn.Parameter(torch.ones(1, self.heads, 1, 1))

        def forward(self, x, position_bias):
            batch, tokens, width = x.shape

            def heads(values):
                return values.reshape(batch, tokens, self.heads, width // self.heads).transpose(1, 2)

            q, k, v = heads(self.q_proj(x)), heads(self.k_proj(x)), heads(self.v_proj(x))
            bias = None
            if position_bias is not None:
                bias = position_bias[None].to(q.dtype)  # (1, heads, tokens, tokens)
                if self.gated:  # each query scales the shared bias by a gate of its own
                    gates = torch.sigmoid(self.grep_linear(q).reshape(batch, self.heads, tokens, 2, 4).sum(-1))
                    gate_a, gate_b = gates.chunk(2, dim=-1)
                    bias = (gate_a * (gate_b * self.grep_a - 1.0) + 2.0) * bias
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)  # softmax(q k^T / sqrt(d) + bias) v
            return self.out_proj(out.transpose(1, 2).reshape(batch, tokens, width))

    class Layer(nn.Module):
        def __init__(self, config: BeatsConfig, holds_bias_table: bool):
            super().__init__()
            width = config.encoder_embed_dim
            self.norm_first = config.layer_norm_first
            self.alpha = math.pow(2 * config.encoder_layers, 0.25) if config.deep_norm else 1.0  # DeepNorm
            self.self_attn = Attention(config, holds_bias_table)
            self.self_attn_layer_norm = nn.LayerNorm(width)
            self.fc1 = nn.Linear(width, config.encoder_ffn_embed_dim)
            self.fc2 = nn.Linear(config.encoder_ffn_embed_dim, width)
            self.final_layer_norm = nn.LayerNorm(width)

        def forward(self, x, position_bias):
            if self.norm_first:
                x = x + self.self_attn(self.self_attn_layer_norm(x), position_bias)
                return x + self.fc2(F.gelu(self.fc1(self.final_layer_norm(x))))
            x = self.self_attn_layer_norm(x * self.alpha + self.self_attn(x, position_bias))
            return self.final_layer_norm(x * self.alpha + self.fc2(F.gelu(self.fc1(x))))

    class WeightNormConv(nn.Module):
        """A grouped 1-D convolution stored as weight norm over the kernel axis (weight_g, weight_v)."""

        def __init__(self, config: BeatsConfig):
            super().__init__()
            width, kernel = config.encoder_embed_dim, config.conv_pos
            self.groups, self.padding = config.conv_pos_groups, kernel // 2
            self.weight_v = nn.Parameter(torch.randn(width, width // self.groups, kernel) * 0.02)
            self.weight_g = nn.Parameter(self.weight_v.detach().norm(dim=(0, 1), keepdim=True).clone())
            self.bias = nn.Parameter(torch.zeros(width))

        def forward(self, x):
            weight = self.weight_g * self.weight_v / self.weight_v.norm(dim=(0, 1), keepdim=True)
            return F.conv1d(x, weight, self.bias, padding=self.padding, groups=self.groups)

    class Encoder(nn.Module):
        def __init__(self, config: BeatsConfig):
            super().__init__()
            self.config = config
            self.pos_conv = nn.Sequential(WeightNormConv(config))
            self.layer_norm = nn.LayerNorm(config.encoder_embed_dim)
            self.layers = nn.ModuleList(
                Layer(config, holds_bias_table=config.relative_position_embedding and i == 0)
                for i in range(config.encoder_layers)
            )

        def hidden_states(self, x, depths):
            tokens = x.shape[1]
            positions = self.pos_conv(x.transpose(1, 2))
            if self.config.conv_pos % 2 == 0:  # an even kernel pads one step too many: drop the last
                positions = positions[:, :, :-1]
            x = x + F.gelu(positions).transpose(1, 2)
            if not self.config.layer_norm_first:
                x = self.layer_norm(x)
            bias = None
            if self.config.relative_position_embedding:
                buckets = relative_position_buckets(tokens, self.config.num_buckets, self.config.max_distance)
                # torch types a submodule attribute as `Tensor | Module`; this one is the bias embedding
                attention = self.layers[0].self_attn
                bias = attention.relative_attention_bias(buckets.to(x.device)).permute(2, 0, 1)  # type: ignore[union-attr, operator]
            wanted, out = set(depths), {}
            for depth, layer in enumerate(self.layers[: max(depths)], start=1):
                x = layer(x, bias)
                if depth in wanted:
                    last = depth == len(self.layers) and self.config.layer_norm_first
                    out[depth] = self.layer_norm(x) if last else x
            return [out[depth] for depth in depths]

    class BeatsNetwork(nn.Module):
        def __init__(self, config: BeatsConfig):
            super().__init__()
            self.config = config
            size = config.input_patch_size
            self.patch_embedding = nn.Conv2d(1, config.embed_dim, size, size, bias=config.conv_bias)
            self.layer_norm = nn.LayerNorm(config.embed_dim)
            self.post_extract_proj = (
                nn.Linear(config.embed_dim, config.encoder_embed_dim)
                if config.embed_dim != config.encoder_embed_dim
                else None
            )
            self.encoder = Encoder(config)

        def hidden_states(self, image, depths):
            """Patch tokens (batch, t * f, width) after each layer depth in `depths` (1-based)."""
            x = self.layer_norm(self.patch_embedding(image).flatten(2).transpose(1, 2))
            if self.post_extract_proj is not None:
                x = self.post_extract_proj(x)
            return self.encoder.hidden_states(x, depths)

    return BeatsNetwork
