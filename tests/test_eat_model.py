"""EAT written out in the project: weights read from model.safetensors only, nothing in a model folder runs."""

import json

import numpy as np
import pytest

from core.devices import Device
from core.eat_model import EatConfig, sincos_positions
from core.embedding_models import EatEmbedder, ModelUnavailable, load_embedder, set_model_folder
from core.home import DataHome
from tests.media_factory import tone_burst_track
from tests.tiny_models import save_tiny_eat, save_tiny_hubert, tiny_eat_network

CPU = Device("cpu", half=False, free_bytes=8 << 30)
EVIL = "from pathlib import Path\nPath({marker!r}).write_text('ran')\n"


@pytest.fixture
def home():
    return DataHome.resolve()


def _chunks():
    return [tone_burst_track(4.0, [1.0, 2.5], freq=f, seed=s) for s, f in ((1, 700.0), (2, 1900.0))]


@pytest.mark.slow
def test_saved_tiny_eat_loads_back_through_the_real_loader_and_embeds_like_the_network(home, tmp_path):
    folder = save_tiny_eat(tmp_path / "eat", seed=3)
    loaded = load_embedder("EAT", home, device=CPU, local_dir=folder)
    in_memory = EatEmbedder("EAT", tiny_eat_network(seed=3), CPU)
    for (t1, f1), (t2, f2) in zip(loaded.frames(_chunks()), in_memory.frames(_chunks())):
        assert np.array_equal(t1, t2) and f1.shape == f2.shape == (len(t1), 32)
        assert np.allclose(f1, f2, atol=1e-5)
    assert not np.allclose(
        loaded.frames(_chunks())[0][1],
        EatEmbedder("EAT", tiny_eat_network(seed=4), CPU).frames(_chunks())[0][1],
        atol=1e-3,
    )  # the weights really came from the file


@pytest.mark.slow
def test_position_table_is_computed_when_the_checkpoint_leaves_it_out(home, tmp_path):
    from safetensors.torch import load_file, save_file

    folder = save_tiny_eat(tmp_path / "eat")
    state = load_file(str(folder / "model.safetensors"))
    stored = state.pop("model.fixed_positional_encoder.positions")
    assert np.allclose(stored.numpy(), sincos_positions(32, 128, 8).numpy())
    save_file(state, str(folder / "model.safetensors"))
    assert load_embedder("EAT", home, device=CPU, local_dir=folder).frames(_chunks()[:1])[0][1].shape[1] == 32


@pytest.mark.slow
def test_eat_ml_concatenates_quartile_depths_and_ends_with_the_single_layer_vector(home, tmp_path):
    folder = save_tiny_eat(tmp_path / "eat", depth=8)
    single = load_embedder("EAT", home, device=CPU, local_dir=folder)
    multi = load_embedder("EAT_ML", home, device=CPU, local_dir=folder)
    assert multi.depths == (2, 4, 6, 8) and multi.dim == multi.frame_dim == 4 * single.dim == 128
    [(times, features)] = multi.frames(_chunks()[:1])
    [(_, last)] = single.frames(_chunks()[:1])
    assert features.shape == (len(times), 128) and np.allclose(features[:, -32:], last, atol=1e-5)
    assert not np.allclose(features[:, :32], last, atol=1e-3)


@pytest.mark.slow
def test_python_in_a_model_folder_never_runs(home, tmp_path, monkeypatch):
    """The checkpoints' config names modeling_eat.py (auto_map); choosing, listing and loading the folder
    must not import it, nor any other .py there; a transformers model folder is loaded with remote code off."""
    marker = tmp_path / "ran.txt"
    eat = save_tiny_eat(tmp_path / "eat")
    hubert = save_tiny_hubert(tmp_path / "hubert")
    config = json.loads((hubert / "config.json").read_text())
    config["auto_map"] = {"AutoModel": "modeling_evil.EvilModel", "AutoConfig": "modeling_evil.EvilConfig"}
    (hubert / "config.json").write_text(json.dumps(config))
    for folder in (eat, hubert):
        for name in ("modeling_eat.py", "configuration_eat.py", "eat_model.py", "modeling_evil.py", "__init__.py"):
            (folder / name).write_text(EVIL.format(marker=str(marker)))
    monkeypatch.syspath_prepend(str(eat))  # even on the import path nothing is imported from it
    set_model_folder(home, "EAT", eat)
    set_model_folder(home, "HUBERT_BASE", hubert)
    assert load_embedder("EAT", home, device=CPU).dim == 32
    assert load_embedder("HUBERT_BASE", home, device=CPU).dim == 32
    monkeypatch.setenv("FOLEYCUT_EAT_LARGE_DIR", str(eat))
    assert load_embedder("EAT_LARGE", home, device=CPU).dim == 32
    assert not marker.exists()


@pytest.mark.parametrize(
    "damage, expected",
    [
        (lambda path: path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2]), "not a valid safetensors"),
        (lambda path: path.write_bytes(b"\x00" * 64), "not a valid safetensors"),
        (lambda path: path.write_text("not weights at all"), "not a valid safetensors"),
        (lambda path: path.unlink(), "is missing"),
    ],
)
def test_corrupt_weights_are_one_line_naming_model_and_file(home, tmp_path, damage, expected):
    folder = save_tiny_eat(tmp_path / "eat")
    damage(folder / "model.safetensors")
    with pytest.raises(ModelUnavailable) as info:
        load_embedder("EAT", home, device=CPU, local_dir=folder)
    message = str(info.value)
    assert "\n" not in message and expected in message
    assert message.startswith("EAT") and str(folder / "model.safetensors") in message


def test_weights_of_another_shape_are_one_line_naming_what_differs(home, tmp_path):
    folder = save_tiny_eat(tmp_path / "eat")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "embed_dim": 64, "num_heads": 4}))
    differs = r"does not match EAT.s architecture \(extra_tokens is \(1, 1, 32\), not \(1, 1, 64\)"
    with pytest.raises(ModelUnavailable, match=differs):
        load_embedder("EAT", home, device=CPU, local_dir=folder)
    (folder / "config.json").write_text(json.dumps({**config, "depth": 2}))
    with pytest.raises(ModelUnavailable, match=r"unexpected blocks\.2\..* and \d+ more"):
        load_embedder("EAT", home, device=CPU, local_dir=folder)


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", json.dumps({"embed_dim": "wide"})])
def test_unreadable_config_is_one_line(home, tmp_path, content):
    folder = save_tiny_eat(tmp_path / "eat")
    (folder / "config.json").write_text(content)
    with pytest.raises(ModelUnavailable) as info:
        load_embedder("EAT", home, device=CPU, local_dir=folder)
    assert "\n" not in str(info.value) and str(folder / "config.json") in str(info.value)


def test_config_reads_the_checkpoint_fields_and_ignores_training_ones():
    config = EatConfig.from_json(
        {
            "embed_dim": 1024,
            "depth": 24,
            "num_heads": 16,
            "drop_rate": 0.1,
            "img_size": [1024, 128],
            "model_variant": "finetune",
        }
    )
    assert (config.hidden_size, config.depth, config.num_attention_heads, config.mel_bins) == (1024, 24, 16, 128)
    with pytest.raises(ValueError):
        EatConfig.from_json({"stride": 10})


def test_real_eat_base_shapes_without_weights():
    """The registry's widths match the architecture the checkpoints describe (EAT base: 12 x 768, 12 heads)."""
    network = tiny_eat_network(embed_dim=768, depth=1, num_heads=12, max_length=768)
    names = set(network.state_dict())
    assert {
        "local_encoder.proj.weight",
        "extra_tokens",
        "fixed_positional_encoder.positions",
        "pre_norm.weight",
        "blocks.0.attn.qkv.weight",
        "blocks.0.attn.proj.bias",
        "blocks.0.norm1.weight",
        "blocks.0.mlp.fc1.weight",
        "blocks.0.mlp.fc2.bias",
        "blocks.0.norm2.bias",
    } <= names
    assert tuple(network.state_dict()["fixed_positional_encoder.positions"].shape) == (1, 768 * 8, 768)


def test_position_table_encodes_frequency_then_time_as_sines_then_cosines():
    table = sincos_positions(16, rows=5, cols=8)[0].numpy()  # token t * 8 + f
    assert table.shape == (40, 16)
    for t in range(5):
        for f in range(8):
            assert np.allclose(table[8 * t + f, :8], table[f, :8])  # first half: the frequency column only
            assert np.allclose(table[8 * t + f, 8:], table[8 * t, 8:])  # second half: the time row only
    omega = 1.0 / 10000 ** (np.arange(4) / 4)
    assert np.allclose(table[3, :8], np.r_[np.sin(3 * omega), np.cos(3 * omega)], atol=1e-6)
    assert np.allclose(table[16, 8:], np.r_[np.sin(2 * omega), np.cos(2 * omega)], atol=1e-6)
