"""Test-wide isolation: a throw-away data home, offscreen Qt, and Qt settings kept out of the user's."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest
from hypothesis import settings

# CI runs the property tests on a fixed sequence of examples: a red build always means a real failure.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    """Every test gets its own data home and Qt settings location; the user's are never touched."""
    home = tmp_path_factory.mktemp("foleycut_home")
    monkeypatch.setenv("FOLEYCUT_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    return home


@pytest.fixture
def db(tmp_path):
    """A fresh database in the test's own folder, closed afterwards (tests that need another one override it)."""
    from core.db import ProcessedDB

    with ProcessedDB(tmp_path / "foleycut.db") as database:
        yield database
