"""Model folders chosen once for good: saved in the data home, honoured by every loader, set from the CLI."""

import subprocess
import sys
from pathlib import Path

import pytest

from cli import run_cli
from core.devices import Device
from core.embedding_models import (
    MODEL_FOLDERS_FILE,
    ModelUnavailable,
    get_spec,
    is_downloaded,
    list_models,
    load_embedder,
    local_dir_for,
    model_folders,
    set_model_folder,
)
from core.errors import FoleycutError
from core.home import DataHome
from tests.tiny_models import save_tiny_hubert

ROOT = Path(__file__).resolve().parents[1]
CPU = Device("cpu", half=False, free_bytes=8 << 30)


@pytest.fixture
def home():
    return DataHome.resolve()


def fake_weights(folder: Path) -> Path:
    """Config + weights files as a model folder holds them (contents never read by these checks)."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"weights")
    return folder


def downloaded(home):
    return {status.name: status.downloaded for status in list_models(home)}


def test_saved_folder_counts_as_downloaded_and_survives_a_new_home_object(home, tmp_path):
    folder = fake_weights(tmp_path / "hubert")
    assert not downloaded(home)["HUBERT_BASE"]
    assert set_model_folder(home, "HUBERT_BASE", folder) == folder.resolve()
    again = DataHome.resolve(home.root)
    assert model_folders(again) == {"HUBERT_BASE": folder.resolve()}
    assert downloaded(again)["HUBERT_BASE"] and not downloaded(again)["AST"]
    set_model_folder(again, "HUBERT_BASE", None)
    assert model_folders(home) == {} and not downloaded(home)["HUBERT_BASE"]


@pytest.mark.parametrize("contents, missing", [((), "config.json is missing"), (("config.json",), "no weights file")])
def test_a_folder_without_weights_is_refused_naming_what_is_missing(home, tmp_path, contents, missing):
    for name in contents:
        (tmp_path / name).write_text("{}")
    with pytest.raises(FoleycutError, match=missing) as info:
        set_model_folder(home, "AST", tmp_path)
    assert "\n" not in str(info.value) and "AST" in str(info.value)
    assert model_folders(home) == {}


def test_missing_folder_and_builtin_model_are_refused(home, tmp_path):
    with pytest.raises(FoleycutError, match="not a folder"):
        set_model_folder(home, "AST", tmp_path / "nowhere")
    with pytest.raises(FoleycutError, match="built in"):
        set_model_folder(home, "MEL", fake_weights(tmp_path / "mel"))


def test_corrupt_file_reads_as_empty_and_is_overwritten(home, tmp_path):
    (home.root / MODEL_FOLDERS_FILE).write_text("{not json")
    assert model_folders(home) == {}
    folder = fake_weights(tmp_path / "eat")
    set_model_folder(home, "EAT", folder)
    assert model_folders(home) == {"EAT": folder.resolve()}
    assert [p.name for p in home.root.iterdir() if p.name.startswith(MODEL_FOLDERS_FILE)] == [MODEL_FOLDERS_FILE]


def test_explicit_folder_beats_env_variable_beats_saved_choice(home, tmp_path, monkeypatch):
    spec = get_spec("AST")
    saved, env, explicit = (fake_weights(tmp_path / n) for n in ("saved", "env", "explicit"))
    set_model_folder(home, "AST", saved)
    assert local_dir_for(spec, home=home) == saved.resolve()
    monkeypatch.setenv(spec.local_dir_variable, str(env))
    assert local_dir_for(spec, home=home) == env
    assert local_dir_for(spec, explicit, home) == explicit
    assert is_downloaded(spec, home, tmp_path / "empty") is False


def test_load_embedder_reads_the_saved_folder(home, tmp_path):
    set_model_folder(home, "HUBERT_BASE", save_tiny_hubert(tmp_path / "tiny"))
    assert load_embedder("HUBERT_BASE", home, device=CPU).dim == 32


def test_offline_message_tells_how_to_choose_a_folder(home):
    with pytest.raises(ModelUnavailable) as info:
        load_embedder("HUBERT_LARGE", home, device=CPU)
    assert "Model folder..." in str(info.value) and "models folder HUBERT_LARGE DIR" in str(info.value)


@pytest.mark.slow
def test_reading_saved_folders_imports_no_torch(home, tmp_path):
    set_model_folder(home, "AST", fake_weights(tmp_path / "ast"))
    code = (
        "import sys\nfrom core.home import DataHome\nfrom core.embedding_models import list_models\n"
        f"print([s.name for s in list_models(DataHome.resolve({str(home.root)!r})) if s.downloaded])\n"
        "print('torch' in sys.modules or 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["['MEL', 'AST']", "False"]


def cli(home, *args):
    return run_cli(["--home", str(home.root), "models", "folder", *map(str, args)])


def test_cli_sets_shows_and_clears_a_folder(home, tmp_path, capsys):
    folder = fake_weights(tmp_path / "w2v")
    assert cli(home, "WAV2VEC2_BASE") == 0
    assert "no folder chosen" in capsys.readouterr().out
    assert cli(home, "WAV2VEC2_BASE", folder) == 0
    assert str(folder.resolve()) in capsys.readouterr().out
    assert cli(home, "WAV2VEC2_BASE") == 0
    assert f"WAV2VEC2_BASE loads from {folder.resolve()}" in capsys.readouterr().out
    assert cli(home, "WAV2VEC2_BASE", "--clear") == 0
    assert model_folders(home) == {}


def test_cli_errors_are_one_line(home, tmp_path, capsys):
    assert cli(home, "WAV2VEC2_BASE", tmp_path) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "config.json is missing" in err and err.count("\n") == 1
    assert cli(home, "NOPE") == 1
    assert "Unknown embedding model 'NOPE'" in capsys.readouterr().err
