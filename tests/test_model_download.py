"""An unavailable model fails once per run, quickly and quietly; downloads fetch only configs and weights."""

import logging
import urllib.error

import pytest

from core import embedding_models, model_download
from core.devices import Device
from core.embedding_models import ModelUnavailable, forget_unavailable, get_spec, load_embedder, set_model_folder
from core.home import DataHome
from tests.tiny_models import save_tiny_hubert

CPU = Device("cpu", half=False, free_bytes=8 << 30)


@pytest.fixture
def home():
    forget_unavailable()
    yield DataHome.resolve()
    forget_unavailable()


@pytest.fixture
def fetches(monkeypatch):
    """Counts download attempts; the Hub is unreachable (as offline) unless a test says otherwise."""
    calls = []
    real = model_download.fetch
    monkeypatch.setattr(model_download, "hub_reachable", lambda: False)
    monkeypatch.setattr(model_download, "fetch", lambda spec, home: calls.append(spec.name) or real(spec, home))
    return calls


def test_offline_model_fails_once_per_run_then_at_once_with_the_same_line(home, fetches, capfd):
    with pytest.raises(ModelUnavailable) as first:
        load_embedder("HUBERT_BASE", home, device=CPU)
    for _ in range(5):  # a Scan All over five more files
        with pytest.raises(ModelUnavailable) as again:
            load_embedder("HUBERT_BASE", home, device=CPU)
        assert str(again.value) == str(first.value)
    assert fetches == ["HUBERT_BASE"]
    message = str(first.value)
    assert "\n" not in message and "HUBERT_BASE" in message and "cannot be reached" in message
    assert "models folder HUBERT_BASE DIR" in message and "FOLEYCUT_HUBERT_BASE_DIR" in message
    out, err = capfd.readouterr()
    assert out == "" and "Retry" not in err


@pytest.mark.slow
def test_a_folder_chosen_after_the_failure_loads_and_other_models_still_try(home, fetches, tmp_path):
    with pytest.raises(ModelUnavailable):
        load_embedder("HUBERT_BASE", home, device=CPU)
    set_model_folder(home, "HUBERT_BASE", save_tiny_hubert(tmp_path / "hubert"))
    assert load_embedder("HUBERT_BASE", home, device=CPU).dim == 32
    with pytest.raises(ModelUnavailable):
        load_embedder("AST", home, device=CPU)
    assert fetches == ["HUBERT_BASE", "AST"]


def test_the_failure_is_forgotten_after_a_while_or_when_asked(home, fetches, monkeypatch):
    with pytest.raises(ModelUnavailable):
        load_embedder("EAT", home, device=CPU)
    forget_unavailable()
    with pytest.raises(ModelUnavailable):
        load_embedder("EAT", home, device=CPU)
    now = embedding_models.time.monotonic()
    monkeypatch.setattr(embedding_models.time, "monotonic", lambda: now + embedding_models.UNAVAILABLE_SECONDS + 1)
    with pytest.raises(ModelUnavailable):
        load_embedder("EAT", home, device=CPU)
    assert fetches == ["EAT"] * 3


def test_cached_files_load_without_touching_the_network(home, monkeypatch, tmp_path):
    """A snapshot already in the download cache is used as it is: no probe, no request."""
    spec = get_spec("HUBERT_BASE")
    snapshot = home.hf_cache_dir / "models--facebook--hubert-base-ls960" / "snapshots" / ("a" * 40)
    save_tiny_hubert(snapshot)
    refs = snapshot.parent.parent / "refs"
    refs.mkdir()
    (refs / spec.revision).write_text("a" * 40)
    monkeypatch.setattr(model_download, "hub_reachable", lambda: pytest.fail("probed the network"))
    assert model_download.fetch(spec, home) == snapshot
    assert load_embedder("HUBERT_BASE", home, device=CPU).dim == 32


def test_downloads_ask_only_for_configs_and_weights(home, monkeypatch, tmp_path):
    asked = []

    def fake_download(repo_id, filename, revision, cache_dir, local_files_only):
        from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

        asked.append((repo_id, filename, revision, local_files_only))
        if local_files_only:
            raise LocalEntryNotFoundError("not cached")
        if filename == "preprocessor_config.json":
            raise EntryNotFoundError("absent")
        (tmp_path / filename).write_text("{}")
        return str(tmp_path / filename)

    monkeypatch.setattr("huggingface_hub.hf_hub_download", fake_download)
    monkeypatch.setattr(model_download, "hub_reachable", lambda: True)
    assert model_download.fetch(get_spec("EAT_ML"), home) == tmp_path
    online = [(name, revision) for _, name, revision, local in asked if not local]
    assert online == [("config.json", get_spec("EAT").revision), ("model.safetensors", get_spec("EAT").revision)]
    asked.clear()
    model_download.fetch(get_spec("AST"), home)
    assert [name for _, name, _, local in asked if not local] == [
        "config.json",
        "preprocessor_config.json",
        "model.safetensors",
    ]  # no .bin once found


def test_hub_retry_warnings_are_kept_quiet(caplog):
    with caplog.at_level(logging.WARNING), model_download.quiet_hub():
        logging.getLogger("huggingface_hub.utils._http").warning("Retrying in 1s [Retry 1/5].")
    assert "Retrying" not in caplog.text


def test_beats_downloads_its_pinned_checkpoint_once_into_the_cache(home, monkeypatch, tmp_path):
    import io

    from core.model_registry import BEATS_CHECKPOINT
    from tests.tiny_models import save_tiny_beats

    payload = (save_tiny_beats(tmp_path / "source", name="x.pt") / "x.pt").read_bytes()
    opened = []

    def fake_urlopen(url, timeout):
        opened.append(url)
        return io.BytesIO(payload)

    monkeypatch.setattr(model_download.urllib.request, "urlopen", fake_urlopen)
    spec = get_spec("BEATS")
    folder = model_download.fetch(spec, home)
    assert (folder / BEATS_CHECKPOINT).read_bytes() == payload and list(folder.iterdir()) == [folder / BEATS_CHECKPOINT]
    assert load_embedder("BEATS_ML", home, device=CPU).dim == 128  # the variant shares the file
    assert opened == [spec.url] and BEATS_CHECKPOINT in spec.url


def test_beats_offline_is_one_line_and_leaves_no_partial_file(home, monkeypatch):
    def unreachable(url, timeout):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(model_download.urllib.request, "urlopen", unreachable)
    with pytest.raises(ModelUnavailable) as info:
        load_embedder("BEATS", home, device=CPU)
    message = str(info.value)
    assert "\n" not in message and message.startswith("BEATS") and "models folder BEATS DIR" in message
    assert list((home.hf_cache_dir / "beats").iterdir()) == []
