"""EAT (Chen et al. 2024, "EAT: Self-Supervised Pre-Training with Efficient Audio Transformer") written out in
torch, so that loading it reads only weights (`model.safetensors`) and a JSON config: no Python from a model
folder or from the Hub ever runs.

The network is a data2vec 2.0-style ViT over the normalised fbank image (batch, 1, 1024 frames, 128 bins):
a 16 x 16 convolution cuts it into 64 x 8 patches (time-major, index t * 8 + f), fixed 2-D sin-cos positions
are added, a CLS token goes first, a LayerNorm, then transformer blocks, post-norm unless the config says
`layer_norm_first` (attention + residual -> norm1, MLP + residual -> norm2).
Parameter names are those of the Hugging Face checkpoints (worstchan/EAT-*) without their `model.` prefix;
the fine-tuned checkpoints' classifier (`fc_norm`, `head`) is not needed for features and is skipped.
torch is imported only when a network is built.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

from core.model_weights import ModelUnavailable, load_state, read_json, read_safetensors, without_prefix

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
_CHECKPOINT_PREFIX = "model."  # the Hugging Face wrapper keeps the network as `self.model`
_HEAD_PREFIXES = ("fc_norm.", "head.")
_POSITIONS = "fixed_positional_encoder.positions"


_FIELD_KINDS: dict[str, type] = {"int": int, "float": float, "bool": bool}


@dataclass(frozen=True)
class EatConfig:
    """The architecture fields of EAT's config.json (training-only fields such as dropout are ignored)."""

    embed_dim: int = 768
    depth: int = 12
    num_heads: int = 12
    patch_size: int = 16
    stride: int = 16
    in_chans: int = 1
    mel_bins: int = 128
    max_length: int = 768  # time patches the position table covers
    mlp_ratio: float = 4.0
    qkv_bias: bool = True
    layer_norm_first: bool = False
    norm_eps: float = 1e-6
    norm_affine: bool = True
    fixed_positions: bool = True

    @classmethod
    def from_json(cls, data: dict) -> EatConfig:
        values = {}
        for field in fields(cls):
            if field.name in data:
                kind = _FIELD_KINDS[str(field.type)]  # a string: annotations are postponed here
                value = data[field.name]
                if not isinstance(value, (int, float, bool)) or (kind is int and value != int(value)):
                    raise ValueError(f"{field.name} is {value!r}")
                values[field.name] = kind(value)
        config = cls(**values)
        if config.stride != config.patch_size or config.embed_dim % config.num_heads or config.depth < 1:
            raise ValueError("unsupported shape (stride must equal patch_size, heads must divide embed_dim)")
        return config

    # the names core.embedders reads the shape under, as in transformers configs
    @property
    def hidden_size(self) -> int:
        return self.embed_dim

    @property
    def num_attention_heads(self) -> int:
        return self.num_heads

    @property
    def num_hidden_layers(self) -> int:
        return self.depth


def load_eat(folder: Path, model: str):
    """The EAT network of a model folder (config.json + model.safetensors), in eval mode on the CPU."""
    config_path = folder / CONFIG_FILE
    try:
        config = EatConfig.from_json(read_json(config_path, model))
    except ValueError as exc:
        raise ModelUnavailable(
            f"{model}: {config_path} is not an EAT config ({exc}); choose the folder of an EAT checkpoint."
        ) from None
    weights = folder / WEIGHTS_FILE
    state = without_prefix(read_safetensors(weights, model), _CHECKPOINT_PREFIX)
    network = build_eat(config)
    load_state(network, state, model, weights, optional=(_POSITIONS,), ignored_prefixes=_HEAD_PREFIXES)
    return network.eval()


def build_eat(config: EatConfig):
    """A randomly initialised EAT network of this shape."""
    return _network_class()(config)


def sincos_positions(dim: int, rows: int, cols: int):
    """(1, rows * cols, dim) fixed positions of a time-major patch grid: the first half of the features encodes
    the column (frequency), the second the row (time), each as sines then cosines of geometric frequencies."""
    import torch

    def axis(width: int, position):
        omega = 1.0 / 10000 ** (torch.arange(width // 2, dtype=torch.float64) / (width / 2))
        angles = position.to(torch.float64)[:, None] * omega[None]
        return torch.cat([angles.sin(), angles.cos()], dim=1)

    time, freq = torch.meshgrid(torch.arange(rows), torch.arange(cols), indexing="ij")
    return torch.cat([axis(dim // 2, freq.flatten()), axis(dim // 2, time.flatten())], dim=1).float()[None]


@cache
def _network_class():
    """The torch modules, defined on first use so that importing this module does not import torch."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Attention(nn.Module):
        def __init__(self, config: EatConfig):
            super().__init__()
            self.heads = config.num_heads
            self.qkv = nn.Linear(config.embed_dim, 3 * config.embed_dim, bias=config.qkv_bias)
            self.proj = nn.Linear(config.embed_dim, config.embed_dim)

        def forward(self, x):
            batch, tokens, width = x.shape
            q, k, v = self.qkv(x).reshape(batch, tokens, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
            out = F.scaled_dot_product_attention(q, k, v)  # softmax(q k^T / sqrt(head width)) v
            return self.proj(out.transpose(1, 2).reshape(batch, tokens, width))

    class Mlp(nn.Module):
        def __init__(self, config: EatConfig):
            super().__init__()
            hidden = int(config.embed_dim * config.mlp_ratio)
            self.fc1 = nn.Linear(config.embed_dim, hidden)
            self.fc2 = nn.Linear(hidden, config.embed_dim)

        def forward(self, x):
            return self.fc2(F.gelu(self.fc1(x)))

    class Block(nn.Module):
        def __init__(self, config: EatConfig):
            super().__init__()
            self.norm_first = config.layer_norm_first
            self.norm1 = _norm(config)
            self.attn = Attention(config)
            self.norm2 = _norm(config)
            self.mlp = Mlp(config)

        def forward(self, x):
            if self.norm_first:
                x = x + self.attn(self.norm1(x))
                return x + self.mlp(self.norm2(x))
            x = self.norm1(x + self.attn(x))
            return self.norm2(x + self.mlp(x))

    class PatchEmbedding(nn.Module):
        def __init__(self, config: EatConfig):
            super().__init__()
            self.proj = nn.Conv2d(config.in_chans, config.embed_dim, config.patch_size, config.patch_size)

        def forward(self, image):
            return self.proj(image).flatten(2).transpose(1, 2)  # (batch, t * f patches, dim), time-major

    class FixedPositions(nn.Module):
        def __init__(self, config: EatConfig):
            super().__init__()
            cols = config.mel_bins // config.patch_size
            self.register_buffer("positions", sincos_positions(config.embed_dim, config.max_length, cols))

    def _norm(config: EatConfig):
        return nn.LayerNorm(config.embed_dim, eps=config.norm_eps, elementwise_affine=config.norm_affine)

    class EatNetwork(nn.Module):
        def __init__(self, config: EatConfig):
            super().__init__()
            self.config = config
            self.local_encoder = PatchEmbedding(config)
            self.extra_tokens = nn.Parameter(torch.zeros(1, 1, config.embed_dim))
            nn.init.trunc_normal_(self.extra_tokens, std=0.02)
            self.fixed_positional_encoder = FixedPositions(config) if config.fixed_positions else None
            self.pre_norm = _norm(config)
            self.blocks = nn.ModuleList(Block(config) for _ in range(config.depth))

        def hidden_states(self, image, depths):
            """Tokens (batch, 1 + patches, dim), CLS first, after each block depth in `depths` (1-based)."""
            x = self.local_encoder(image)
            if self.fixed_positional_encoder is not None:
                # torch types a module attribute as `Tensor | Module`; `positions` is a buffer (a Tensor)
                positions = self.fixed_positional_encoder.positions
                x = x + positions[:, : x.shape[1]].to(x.dtype)  # type: ignore[index]
            x = self.pre_norm(torch.cat([self.extra_tokens.expand(len(x), -1, -1).to(x.dtype), x], dim=1))
            wanted, out = set(depths), {}
            for depth, block in enumerate(self.blocks[: max(depths)], start=1):
                x = block(x)
                if depth in wanted:
                    out[depth] = x
            return [out[depth] for depth in depths]

    return EatNetwork
