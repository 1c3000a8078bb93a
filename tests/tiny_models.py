"""Tiny randomly initialised models saved like real checkpoints, for tests that never download.

Each `save_tiny_*` writes config + weights (+ feature-extractor config) to a folder as the real checkpoint
ships them, which `load_embedder` then reads as a local model folder: the same loading code a real
checkpoint goes through.
"""

from __future__ import annotations

from pathlib import Path

TINY = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}


def save_tiny_hubert(folder: Path, seed: int = 0, **overrides) -> Path:
    import torch
    from transformers import HubertConfig, HubertModel, Wav2Vec2FeatureExtractor

    torch.manual_seed(seed)
    config = HubertConfig(
        **{**TINY, **overrides}, conv_dim=(32,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4
    )
    HubertModel(config).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(do_normalize=False).save_pretrained(folder)
    return folder


def save_tiny_wav2vec2(folder: Path, seed: int = 0, **overrides) -> Path:
    """Saved without a preprocessor config: the loader must fall back to a default feature extractor."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    torch.manual_seed(seed)
    config = Wav2Vec2Config(
        **{**TINY, **overrides},
        conv_dim=(32,) * 7,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=4,
        feat_extract_norm="layer",
    )
    Wav2Vec2Model(config).save_pretrained(folder)
    return folder


def save_tiny_ast(folder: Path, seed: int = 0, max_length: int = 1024, **overrides) -> Path:
    import torch
    from transformers import ASTConfig, ASTFeatureExtractor, ASTModel

    torch.manual_seed(seed)
    ASTModel(ASTConfig(**{**TINY, **overrides}, max_length=max_length)).save_pretrained(folder)
    ASTFeatureExtractor(max_length=max_length).save_pretrained(folder)
    return folder


TINY_EAT = {"embed_dim": 32, "depth": 4, "num_heads": 2, "max_length": 128}


def tiny_eat_model(hidden: int = 32):
    """An EAT-shaped stand-in without attention, to measure window pooling alone: `hidden_states((B, 1, 1024,
    128), depths)` -> [(B, 1 + 64 * 8, hidden)], CLS first then 16 x 16 patches time-major, each patch token a
    linear map of its patch (so tokens carry the audio's content and position, and nothing else)."""
    import torch
    from torch import nn

    class PatchOnlyEat(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.patch = nn.Conv2d(1, hidden, kernel_size=16, stride=16)
            self.cls = nn.Parameter(torch.zeros(1, 1, hidden))
            shape = {"hidden_size": hidden, "num_attention_heads": 1, "num_hidden_layers": 1}
            self.config = type("Config", (), shape)()

        def hidden_states(self, source, depths):
            patches = self.patch(source).flatten(2).transpose(1, 2)  # (B, 64 * 8, hidden), index t * 8 + f
            return [torch.cat([self.cls.expand(len(source), -1, -1), patches], dim=1) for _ in depths]

    return PatchOnlyEat()


def tiny_eat_network(seed: int = 0, **config):
    """A randomly initialised EAT network (core.eat_model) of a tiny shape."""
    import torch

    from core.eat_model import EatConfig, build_eat

    torch.manual_seed(seed)
    return build_eat(EatConfig(**{**TINY_EAT, **config})).eval()


def save_tiny_eat(folder: Path, seed: int = 0, **config) -> Path:
    """A tiny EAT saved as the Hugging Face checkpoints are: config.json (with the auto_map that would make
    transformers import the repo's Python) and model.safetensors with `model.`-prefixed names, the fixed
    position table and a fine-tuned classifier head included. Returns the folder; the network is
    `tiny_eat_network(seed, **config)`."""
    import json

    import torch
    from safetensors.torch import save_file

    network = tiny_eat_network(seed, **config)
    state = {f"model.{name}": tensor.contiguous() for name, tensor in network.state_dict().items()}
    width = network.config.embed_dim
    state.update(
        {
            "model.fc_norm.weight": torch.ones(width),
            "model.fc_norm.bias": torch.zeros(width),
            "model.head.weight": torch.zeros(527, width),
            "model.head.bias": torch.zeros(527),
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    save_file(state, str(folder / "model.safetensors"))
    saved = {
        "architectures": ["EATModel"],
        "model_type": "eat",
        "model_variant": "finetune",
        "auto_map": {"AutoConfig": "configuration_eat.EATConfig", "AutoModel": "modeling_eat.EATModel"},
        **TINY_EAT,
        **config,
        "img_size": [1024, 128],
        "num_classes": 527,
    }
    (folder / "config.json").write_text(json.dumps(saved))
    return folder


TINY_BEATS = {
    "input_patch_size": 16,
    "embed_dim": 24,
    "conv_bias": False,
    "encoder_layers": 4,
    "encoder_embed_dim": 32,
    "encoder_ffn_embed_dim": 64,
    "encoder_attention_heads": 2,
    "activation_fn": "gelu",
    "layer_norm_first": False,
    "deep_norm": True,
    "conv_pos": 16,
    "conv_pos_groups": 4,
    "relative_position_embedding": True,
    "num_buckets": 32,
    "max_distance": 64,
    "gru_rel_pos": True,
    "dropout": 0.1,
    "finetuned_model": True,
    "predictor_class": 3,
}


def tiny_beats_network(seed: int = 0, **config):
    """A randomly initialised BEATs network (core.beats_model) of a tiny shape."""
    import torch

    from core.beats_model import BeatsConfig, build_beats

    torch.manual_seed(seed)
    network = build_beats(BeatsConfig.from_checkpoint({**TINY_BEATS, **config})).eval()
    with torch.no_grad():  # the gates start at 1 in a fresh model; vary them so the test sees them work
        for layer in network.encoder.layers:
            layer.self_attn.grep_a.uniform_(0.5, 1.5)
    return network


def save_tiny_beats(folder: Path, seed: int = 0, name: str = "BEATs_tiny.pt", **config) -> Path:
    """A tiny BEATs saved as Microsoft releases it: torch.save({"cfg", "model", "label_dict"}), the shared
    relative-bias table repeated under every layer's name and a fine-tuned predictor included. Returns the
    folder; the network is `tiny_beats_network(seed, **config)`."""
    import torch

    network = tiny_beats_network(seed, **config)
    state = dict(network.state_dict())
    table = state["encoder.layers.0.self_attn.relative_attention_bias.weight"]
    for i in range(1, network.config.encoder_layers):
        state[f"encoder.layers.{i}.self_attn.relative_attention_bias.weight"] = table
    state["predictor.weight"] = torch.zeros(3, network.config.encoder_embed_dim)
    state["predictor.bias"] = torch.zeros(3)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(
        {"cfg": {**TINY_BEATS, **config}, "model": state, "label_dict": {0: "/m/09x0r", 1: "a", 2: "b"}}, folder / name
    )
    return folder
