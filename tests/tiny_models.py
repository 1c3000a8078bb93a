"""Tiny randomly initialised transformers models saved like real checkpoints, for tests that never download.

Each `save_tiny_*` writes config + weights + feature-extractor config to a folder, which `load_embedder`
then reads as a local model folder: the same loading code a real checkpoint goes through.
"""
from __future__ import annotations

from pathlib import Path

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)


def save_tiny_hubert(folder: Path, seed: int = 0) -> Path:
    import torch
    from transformers import HubertConfig, HubertModel, Wav2Vec2FeatureExtractor

    torch.manual_seed(seed)
    config = HubertConfig(**TINY, conv_dim=(32,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4)
    HubertModel(config).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(do_normalize=False).save_pretrained(folder)
    return folder


def save_tiny_wav2vec2(folder: Path, seed: int = 0) -> Path:
    """Saved without a preprocessor config: the loader must fall back to a default feature extractor."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    torch.manual_seed(seed)
    config = Wav2Vec2Config(**TINY, conv_dim=(32,) * 7, num_conv_pos_embeddings=16,
                            num_conv_pos_embedding_groups=4, feat_extract_norm="layer")
    Wav2Vec2Model(config).save_pretrained(folder)
    return folder


def save_tiny_ast(folder: Path, seed: int = 0, max_length: int = 1024) -> Path:
    import torch
    from transformers import ASTConfig, ASTFeatureExtractor, ASTModel

    torch.manual_seed(seed)
    ASTModel(ASTConfig(**TINY, max_length=max_length)).save_pretrained(folder)
    ASTFeatureExtractor(max_length=max_length).save_pretrained(folder)
    return folder


def tiny_eat_model(hidden: int = 32):
    """A module shaped like EAT's remote code: `extract_features((B, 1, 1024, 128))` -> (B, 1 + 64 * 8, hidden),
    CLS first then 16 x 16 patches time-major. Each patch token is a linear map of its patch, so tokens
    carry the audio's content and position."""
    import torch
    from torch import nn

    class TinyEat(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.patch = nn.Conv2d(1, hidden, kernel_size=16, stride=16)
            self.cls = nn.Parameter(torch.zeros(1, 1, hidden))
            # named as remote-code configs may name them (not hidden_size / num_attention_heads)
            self.config = type("Config", (), {"embed_dim": hidden, "num_heads": 1})()

        def extract_features(self, source):
            patches = self.patch(source).flatten(2).transpose(1, 2)  # (B, 64 * 8, hidden), index t * 8 + f
            return torch.cat([self.cls.expand(len(source), -1, -1), patches], dim=1)

    return TinyEat()
