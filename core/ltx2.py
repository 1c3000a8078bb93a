"""LTX-2 mode: clips shaped for LTX-2 video-to-audio training sets.

LTX-2 takes clips of 8k+1 frames at 25 fps whose width and height divide by 32. In this mode a clip's
length is rounded to such a frame count, its picture is re-timed to 25 fps, and after any portrait crop
and resize the frame is cut down, around its centre, to the largest multiple of 32 on each side.
"""

from __future__ import annotations

import math
from fractions import Fraction

from core.errors import FoleycutError

LTX2_FPS = Fraction(25)
FRAME_STEP = 8  # frames % 8 == 1
SIZE_STEP = 32


def ltx2_frames(length: float) -> int:
    """The frame count nearest `length` seconds at 25 fps with frames % 8 == 1 (9 at least).

    Rule: n = 8k + 1 with k = floor((length * 25 - 1) / 8 + 1/2), so a length half-way between two
    allowed counts takes the longer one; 8 s (200 frames) gives 201 frames, 2 s (50) gives 49.
    """
    k = math.floor((Fraction(repr(float(length))) * LTX2_FPS - 1) / FRAME_STEP + Fraction(1, 2))
    return FRAME_STEP * max(1, k) + 1


def ltx2_length(length: float) -> float:
    """The clip length, in seconds, that LTX-2 mode exports for a wanted `length`."""
    return float(ltx2_frames(length) / LTX2_FPS)


def ltx2_size(width: int, height: int) -> tuple[int, int]:
    """The centre crop of a width x height frame whose sides divide by 32."""
    if width < SIZE_STEP or height < SIZE_STEP:
        raise FoleycutError(
            f"LTX-2 mode needs frames of at least {SIZE_STEP}x{SIZE_STEP} px, and these clips would "
            f"be {width}x{height}: choose a larger short side or turn LTX-2 mode off."
        )
    return width - width % SIZE_STEP, height - height % SIZE_STEP
