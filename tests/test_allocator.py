"""The allocator setting main.py applies before anything else runs."""

import platform
import sys

import pytest

from core.allocator import keep_block_sized_arrays


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc's malloc only"
)
def test_glibc_takes_the_thresholds():
    assert keep_block_sized_arrays() is True


@pytest.mark.skipif(sys.platform.startswith("linux"), reason="elsewhere than Linux")
def test_other_systems_are_left_as_they_are():
    assert keep_block_sized_arrays() is False
