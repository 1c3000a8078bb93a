"""Where a model runs (CUDA in half precision, else Apple MPS, else CPU) and how much it may chew at once.

torch is imported only inside `pick_device`, when a model is about to be used.
"""

from __future__ import annotations

from dataclasses import dataclass

import psutil

MEMORY_SHARE = 0.5  # leave the other half to the OS, the UI and the decoder


@dataclass(frozen=True)
class Device:
    kind: str  # "cuda", "mps" or "cpu": what torch calls it
    half: bool  # run the model in float16 (CUDA only: fast and half the memory there)
    free_bytes: int

    @property
    def torch_dtype(self):
        import torch

        return torch.float16 if self.half else torch.float32


def pick_device(prefer: str | None = None) -> Device:
    """The best available device, or `prefer` ("cuda", "mps", "cpu") when given."""
    import torch

    kind = prefer or ("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu")
    if kind == "cuda":
        free, _total = torch.cuda.mem_get_info()
        return Device("cuda", half=True, free_bytes=int(free))
    return Device(kind, half=False, free_bytes=int(psutil.virtual_memory().available))


def transformer_chunk_bytes(
    seconds: float, frames_per_second: float, hidden: int, heads: int, bytes_per_value: int
) -> int:
    """Rough peak activation memory of one chunk through one transformer layer (inference, no grad).

    Attention scores (heads x T x T) dominate long chunks; the rest is a few hidden-sized activations
    per frame and the raw waveform's first convolution (512 channels at 1/5 of the sample rate).
    """
    frames = seconds * frames_per_second
    values = heads * frames * frames + 16 * frames * hidden + 512 * seconds * 3200
    return int(values * bytes_per_value)


def batch_size_for(free_bytes: int, bytes_per_item: int, limit: int = 32) -> int:
    """How many items fit in the usable share of free memory (at least 1, at most `limit`)."""
    return max(1, min(limit, int(free_bytes * MEMORY_SHARE) // max(1, bytes_per_item)))


def fits_in_memory(free_bytes: int, bytes_needed: int) -> bool:
    return bytes_needed <= free_bytes * MEMORY_SHARE
