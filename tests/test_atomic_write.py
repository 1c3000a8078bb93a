import os
import stat

import pytest

from core import atomic_write
from core.atomic_write import FILE_MODE, replacing, write_atomically, write_json_atomically


def test_a_write_syncs_the_file_and_its_folder_then_renames(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(atomic_write.os, "fsync", lambda fd: synced.append(os.fstat(fd).st_mode) or real_fsync(fd))
    write_atomically(tmp_path / "a.json", b"{}")
    assert [stat.S_ISREG(m) for m in synced] == [True, False]  # the file, then the folder
    assert (tmp_path / "a.json").read_bytes() == b"{}"
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == FILE_MODE
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_a_failed_writer_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "index.faiss"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), replacing(target, suffix=".part") as temp:
        temp.write_bytes(b"half")
        raise RuntimeError("writer died")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["index.faiss"]


def test_json_is_written_whole(tmp_path):
    write_json_atomically(tmp_path / "m.json", {"a": [1, 2]}, indent=1)
    assert (tmp_path / "m.json").read_text() == '{\n "a": [\n  1,\n  2\n ]\n}'
