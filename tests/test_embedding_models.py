import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import eat_features, fbank
from core.devices import Device, batch_size_for, fits_in_memory, pick_device
from core.embedding_models import (
    DEFAULT_MODEL,
    MODELS,
    EatEmbedder,
    ModelUnavailable,
    get_spec,
    list_models,
    load_embedder,
)
from core.errors import FoleycutError
from core.home import DataHome
from core.mel import MelEmbedder
from tests.media_factory import tone_burst_track
from tests.tiny_models import save_tiny_ast, save_tiny_hubert, save_tiny_wav2vec2, tiny_eat_model

ROOT = Path(__file__).resolve().parents[1]
CPU = Device("cpu", half=False, free_bytes=8 << 30)


@pytest.fixture
def home():
    return DataHome.resolve()


def test_registry_names_and_default():
    assert list(MODELS) == [
        "MEL",
        "HUBERT_BASE",
        "HUBERT_LARGE",
        "HUBERT_XLARGE",
        "WAV2VEC2_BASE",
        "WAV2VEC2_LARGE",
        "AST",
        "EAT",
        "EAT_LARGE",
        "BEATS",
        "HUBERT_XLARGE_ML",
        "WAV2VEC2_LARGE_ML",
        "AST_ML",
        "EAT_ML",
        "BEATS_ML",
    ]
    assert DEFAULT_MODEL == "MEL" and MODELS["MEL"].builtin
    assert all(spec.sample_rate == 16000 for spec in MODELS.values())
    assert all(spec.revision for spec in MODELS.values() if spec.repo_id)
    assert MODELS["BEATS"].url and not MODELS["BEATS"].builtin and MODELS["BEATS"].dim == 768
    assert len(MODELS["EAT"].revision) == 40  # a commit hash, not a branch


@pytest.mark.parametrize(
    "name, single, layers",
    [
        ("HUBERT_XLARGE_ML", "HUBERT_XLARGE", 4),
        ("WAV2VEC2_LARGE_ML", "WAV2VEC2_LARGE", 4),
        ("AST_ML", "AST", 4),
        ("EAT_ML", "EAT", 4),
        ("BEATS_ML", "BEATS", 4),
    ],
)
def test_multi_layer_variants_are_their_own_models_with_wider_vectors(name, single, layers):
    spec, base = get_spec(name), get_spec(single)
    assert spec.dim == layers * base.dim and spec.family == base.family and spec.source == base.source
    assert len(spec.layers) == layers and spec.layers[-1] == 1.0


def test_unknown_model_is_a_clear_error():
    with pytest.raises(FoleycutError, match="Unknown embedding model 'NOPE'"):
        get_spec("NOPE")


def test_list_models_reports_downloads_without_importing_torch(tmp_path):
    code = (
        "import sys\n"
        "from core.home import DataHome\n"
        "from core.embedding_models import list_models\n"
        f"print([s.name for s in list_models(DataHome.resolve({str(tmp_path)!r})) if s.downloaded])\n"
        "print('torch' in sys.modules or 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["['MEL']", "False"]


def test_downloaded_means_weights_in_hf_cache_or_local_folder(home, tmp_path, monkeypatch):
    snapshot = home.hf_cache_dir / "models--facebook--hubert-base-ls960" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    assert not _downloaded(home)["HUBERT_BASE"]  # a config alone is not a model
    (snapshot / "model.safetensors").write_bytes(b"weights")
    assert _downloaded(home)["HUBERT_BASE"]

    local = tmp_path / "ast"
    local.mkdir()
    (local / "config.json").write_text("{}")
    (local / "pytorch_model.bin").write_bytes(b"weights")
    assert _downloaded(home, {"AST": local})["AST"]
    monkeypatch.setenv("FOLEYCUT_EAT_DIR", str(local))
    assert not _downloaded(home)["EAT"]  # EAT is read from safetensors only
    (local / "model.safetensors").write_bytes(b"weights")
    assert _downloaded(home)["EAT"]
    assert not _downloaded(home)["EAT_LARGE"]


def _downloaded(home, local_dirs=None):
    return {status.name: status.downloaded for status in list_models(home, local_dirs)}


def test_offline_model_names_it_and_how_to_supply_weights(home):
    with pytest.raises(ModelUnavailable) as info:
        load_embedder("HUBERT_BASE", home, device=CPU)
    message = str(info.value)
    assert "\n" not in message
    assert "HUBERT_BASE" in message and "facebook/hubert-base-ls960" in message
    assert "FOLEYCUT_HUBERT_BASE_DIR" in message and "folder" in message


@pytest.mark.slow
def test_empty_local_folder_is_unavailable_too(home, tmp_path):
    with pytest.raises(ModelUnavailable, match=f"AST weights could not be loaded from the folder {tmp_path}"):
        load_embedder("AST", home, device=CPU, local_dir=tmp_path)


def test_mel_needs_no_weights(home):
    assert isinstance(load_embedder("MEL", home), MelEmbedder)


@pytest.mark.slow
@pytest.mark.parametrize("name, save", [("HUBERT_BASE", save_tiny_hubert), ("WAV2VEC2_LARGE", save_tiny_wav2vec2)])
def test_tiny_wav2vec2_style_models_load_from_a_folder_and_give_20ms_frames(home, tmp_path, name, save):
    embedder = load_embedder(name, home, device=CPU, local_dir=save(tmp_path / name))
    assert embedder.dim == 32 and embedder.pooling == "mean"
    chunks = [tone_burst_track(2.0, [0.5], seed=s) for s in (1, 2)]
    (times, feats), _ = embedder.frames(chunks)
    assert feats.shape == (99, 32) and feats.dtype == np.float32
    assert np.allclose(np.diff(times), 0.02) and 0 < times[0] < 0.02


def test_env_variable_points_at_a_local_folder(home, tmp_path, monkeypatch):
    monkeypatch.setenv("FOLEYCUT_HUBERT_LARGE_DIR", str(save_tiny_hubert(tmp_path / "h")))
    assert load_embedder("HUBERT_LARGE", home, device=CPU).dim == 32


@pytest.mark.filterwarnings("ignore:At least one mel filter has all zero values")  # ASTFeatureExtractor's own
def test_tiny_ast_pools_patch_tokens_into_time_columns(home, tmp_path):
    embedder = load_embedder("AST", home, device=CPU, local_dir=save_tiny_ast(tmp_path / "ast", max_length=256))
    assert embedder.chunk_seconds + 2 * embedder.context_seconds <= 256 * 0.01 + 0.015
    [(times, feats)] = embedder.frames([tone_burst_track(1.5, [0.5])])
    assert np.allclose(np.diff(times), 0.1)
    assert times[-1] < 1.5 <= times[-1] + 0.1  # columns beyond the audio (padding) are dropped
    assert feats.shape == (len(times), 32)


def test_eat_shaped_model_gets_normalised_fbank_and_time_columns():
    seen = []
    model = tiny_eat_model()
    original = model.hidden_states
    model.hidden_states = lambda source, depths: seen.append(source.shape) or original(source, depths)
    embedder = EatEmbedder("EAT", model, CPU)
    chunks = [tone_burst_track(3.0, [1.0], seed=s) for s in (1, 2)]
    results = embedder.frames(chunks)
    assert seen == [(2, 1, 1024, 128)]
    for times, feats in results:
        assert np.allclose(np.diff(times), 0.16) and times[-1] < 3.0
        assert feats.shape == (len(times), 32)


def test_device_choice_and_memory_budget():
    assert pick_device("cpu").kind == "cpu" and not pick_device("cpu").half
    assert batch_size_for(free_bytes=10_000, bytes_per_item=1_000) == 5
    assert batch_size_for(free_bytes=10, bytes_per_item=1_000) == 1
    assert batch_size_for(free_bytes=10**12, bytes_per_item=1, limit=16) == 16
    assert fits_in_memory(free_bytes=1000, bytes_needed=500) and not fits_in_memory(1000, 501)


def test_chunk_length_balances_context_waste_against_attention_cost(tmp_path):
    def chunk_for(hidden, free_bytes=8 << 30):
        embedder = load_embedder(
            "HUBERT_BASE",
            DataHome.resolve(),
            Device("cpu", False, free_bytes),
            local_dir=save_tiny_hubert(tmp_path / str(hidden)),
        )
        embedder.hidden = hidden  # the choice depends on the width alone; a tiny model stands in for the real
        return embedder._chunk_seconds()

    assert chunk_for(32) == 8.0  # narrow: attention dominates, short chunks
    assert chunk_for(768) == 10.0  # HuBERT base
    assert chunk_for(1280) == 12.0  # extra large: attention matters less, longer chunks waste less context
    assert chunk_for(1280, free_bytes=10) == 8.0  # nothing fits: the shortest


# --- EAT input: Kaldi-style fbank ----------------------------------------------------------------


def _kaldi_fbank_reference(samples: np.ndarray, window_power: float = 1.0) -> np.ndarray:
    """Kaldi's fbank written out in numpy: snip-edge 25 ms frames every 10 ms, DC removal, 0.97
    pre-emphasis, symmetric Hann, 512-point power spectrum, 128 triangles on Kaldi's mel scale."""
    n = 1 + (len(samples) - 400) // 160
    frames = np.stack([samples[i * 160 : i * 160 + 400] for i in range(n)]).astype(np.float64)
    frames -= frames.mean(axis=1, keepdims=True)
    frames = np.concatenate([frames[:, :1] * (1 - 0.97), frames[:, 1:] - 0.97 * frames[:, :-1]], axis=1)
    frames *= (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 399)) ** window_power
    power = np.abs(np.fft.rfft(frames, 512)) ** 2
    mel = lambda f: 1127.0 * np.log(1 + f / 700.0)  # noqa: E731
    fft_mels = mel(np.arange(257) * 16000 / 512)
    edges = mel(20.0) + np.arange(130) * (mel(8000.0) - mel(20.0)) / 129
    left, centre, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    bank = np.maximum(0, np.minimum((fft_mels - left) / (centre - left), (right - fft_mels) / (right - centre)))
    return np.log(np.maximum(power @ bank.T, np.finfo(np.float32).eps))


@pytest.mark.parametrize("window, power", [("hanning", 1.0), ("povey", 0.85)])  # Povey: Hann to the 0.85
def test_fbank_fallback_matches_a_numpy_kaldi_reference(window, power):
    audio = tone_burst_track(1.0, [0.2], freq=900.0, seed=3)
    audio -= audio.mean()
    fallback = fbank.fbank_transformers(audio, window)
    reference = _kaldi_fbank_reference(audio, power)
    assert fallback.shape == reference.shape == (98, 128) and fbank.frame_count(len(audio)) == 98
    assert np.abs(fallback - reference).max() < 1e-3


def test_torchaudio_is_optional_and_the_fallback_is_used_without_it(monkeypatch):
    monkeypatch.setattr(fbank, "torchaudio_available", lambda: False)
    audio = tone_burst_track(1.0, [0.2], seed=3)
    assert np.array_equal(eat_features.kaldi_fbank(audio), fbank.fbank_transformers(audio - audio.mean()))


@pytest.mark.skipif(not fbank.torchaudio_available(), reason="torchaudio not installed")
@pytest.mark.parametrize("window", ["hanning", "povey"])
def test_fbank_backends_agree_when_torchaudio_is_present(window):
    audio = tone_burst_track(1.0, [0.2], seed=3)
    assert np.abs(fbank.fbank_torchaudio(audio, window) - fbank.fbank_transformers(audio, window)).max() < 1e-2


def test_eat_input_is_padded_cut_and_normalised():
    short = tone_burst_track(3.0, [1.0], seed=4)
    features = eat_features.eat_input(short)
    assert features.shape == (1024, 128) and features.dtype == np.float32
    real = 1 + (len(short) - 400) // 160
    assert np.allclose(features[real:], 4.268 / (4.569 * 2))  # zero padding, normalised like the rest
    assert np.allclose(features[:real] * (4.569 * 2) - 4.268, eat_features.kaldi_fbank(short), atol=1e-4)
    long = tone_burst_track(12.0, [1.0], seed=4)
    cut = eat_features.eat_input(long[: int(10.24 * 16000) + 240])  # exactly 1024 frames
    assert np.allclose(eat_features.eat_input(long), cut, atol=1e-4)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:At least one mel filter has all zero values")  # ASTFeatureExtractor's own
@pytest.mark.parametrize(
    "name, single, save",
    [
        ("HUBERT_XLARGE_ML", "HUBERT_XLARGE", save_tiny_hubert),
        ("WAV2VEC2_LARGE_ML", "WAV2VEC2_LARGE", save_tiny_wav2vec2),
        ("AST_ML", "AST", save_tiny_ast),
    ],
)
def test_multi_layer_variants_concatenate_quartile_hidden_states(home, tmp_path, name, single, save):
    folder = save(tmp_path / name, num_hidden_layers=8)
    multi = load_embedder(name, home, device=CPU, local_dir=folder)
    plain = load_embedder(single, home, device=CPU, local_dir=folder)
    assert multi.depths == (2, 4, 6, 8) and multi.frame_dim == multi.dim == 4 * plain.dim == 128
    chunks = [tone_burst_track(2.0, [0.5], seed=s) for s in (1, 2)]
    for (t_multi, f_multi), (t_plain, f_plain) in zip(multi.frames(chunks), plain.frames(chunks)):
        assert np.array_equal(t_multi, t_plain) and f_multi.shape == (len(t_plain), 128)
        assert np.allclose(f_multi[:, -32:], f_plain, atol=1e-5)  # the full depth is the single-layer vector
        blocks = np.split(f_multi, 4, axis=1)
        assert all(not np.allclose(blocks[i], blocks[i + 1], atol=1e-3) for i in range(3))  # four depths


def test_models_list_shows_the_new_models(home, capsys):
    from cli import run_cli

    assert run_cli(["--home", str(home.root), "models", "list"]) == 0
    out = capsys.readouterr().out
    for name, dim in (
        ("BEATS", 768),
        ("HUBERT_XLARGE_ML", 5120),
        ("WAV2VEC2_LARGE_ML", 4096),
        ("AST_ML", 3072),
        ("EAT_ML", 3072),
        ("BEATS_ML", 3072),
    ):
        assert f"  {name:15s} dim {dim:5d}  " in out
