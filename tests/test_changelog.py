"""CHANGELOG.md parsing and 'what is new since the version I last saw'."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.changelog import entries_since, newest_version, parse_changelog, parse_version, read_changelog

SAMPLE = """# Changelog

Intro text that belongs to no version.

## 0.10.0 — 2026-12-01
- Ten.

## 0.9.1 – 2026-11-30
- Nine point one.
  continued line

## 0.2.0 - 2026-11-25
- Two.
"""


def test_parse_reads_versions_dates_and_bodies_newest_first():
    entries = parse_changelog(SAMPLE)
    assert [e.version for e in entries] == ["0.10.0", "0.9.1", "0.2.0"]
    assert entries[0].date == "2026-12-01"
    assert entries[1].body == "- Nine point one.\n  continued line"
    assert "Intro" not in "".join(e.body for e in entries)


def test_entries_since_returns_only_newer_versions():
    entries = parse_changelog(SAMPLE)
    assert [e.version for e in entries_since(entries, "0.9.1")] == ["0.10.0"]
    assert [e.version for e in entries_since(entries, None)] == ["0.10.0", "0.9.1", "0.2.0"]
    assert entries_since(entries, "0.10.0") == []
    assert newest_version(entries) == "0.10.0"


def test_unsorted_file_is_still_newest_first():
    text = "## 1.0.0 — a\nold\n## 1.1.0 — b\nnew\n"
    assert [e.version for e in parse_changelog(text)] == ["1.1.0", "1.0.0"]


def test_shipped_changelog_parses():
    entries = read_changelog()
    assert entries and all(e.version_key for e in entries)


def test_missing_changelog_means_no_entries(tmp_path):
    assert read_changelog(tmp_path / "absent.md") == []
    assert newest_version([]) is None


@pytest.mark.slow
@given(st.lists(st.integers(0, 999), min_size=1, max_size=4), st.lists(st.integers(0, 999), min_size=1, max_size=4))
def test_version_order_is_numeric(a, b):
    left, right = ".".join(map(str, a)), ".".join(map(str, b))
    assert (parse_version(left) < parse_version(right)) == (tuple(a) < tuple(b))
