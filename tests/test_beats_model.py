"""BEATs written out in the project: the released checkpoint format read with the weights-only unpickler."""

import pickle

import numpy as np
import pytest

from core import fbank
from core.beats_model import beats_input, relative_position_buckets
from core.devices import Device
from core.embedding_models import BeatsEmbedder, ModelUnavailable, load_embedder, set_model_folder
from core.home import DataHome
from core.model_registry import BEATS_CHECKPOINT
from tests.media_factory import tone_burst_track
from tests.tiny_models import save_tiny_beats, tiny_beats_network

# pickles written here use protocol 4; torch notes it is not its own default, which is beside the point
pytestmark = pytest.mark.filterwarnings("ignore:Detected pickle protocol")

CPU = Device("cpu", half=False, free_bytes=8 << 30)


@pytest.fixture
def home():
    return DataHome.resolve()


def _chunks():
    return [tone_burst_track(3.0, [0.5, 2.0], freq=f, seed=s) for s, f in ((1, 500.0), (2, 2500.0))]


@pytest.mark.slow
def test_saved_tiny_beats_loads_back_through_the_real_loader_and_embeds_like_the_network(home, tmp_path):
    folder = save_tiny_beats(tmp_path / "beats", seed=5)
    loaded = load_embedder("BEATS", home, device=CPU, local_dir=folder)
    in_memory = BeatsEmbedder("BEATS", tiny_beats_network(seed=5), CPU)
    assert loaded.dim == 32 and loaded.chunk_seconds + 2 * loaded.context_seconds == 10.0
    for (t1, f1), (t2, f2) in zip(loaded.frames(_chunks()), in_memory.frames(_chunks())):
        assert np.array_equal(t1, t2) and f1.shape == f2.shape == (len(t1), 32)
        assert np.allclose(f1, f2, atol=1e-5)
        assert np.allclose(np.diff(t1), 0.16) and t1[-1] < 3.0 and len(t1) == fbank.frame_count(48000) // 16
    other = BeatsEmbedder("BEATS", tiny_beats_network(seed=6), CPU).frames(_chunks())[0][1]
    assert not np.allclose(loaded.frames(_chunks())[0][1], other, atol=1e-3)


@pytest.mark.slow
def test_beats_ml_concatenates_quartile_depths(home, tmp_path):
    folder = save_tiny_beats(tmp_path / "beats", encoder_layers=8)
    multi = load_embedder("BEATS_ML", home, device=CPU, local_dir=folder)
    single = load_embedder("BEATS", home, device=CPU, local_dir=folder)
    assert multi.depths == (2, 4, 6, 8) and multi.dim == 128
    [(_, features)], [(_, last)] = multi.frames(_chunks()[:1]), single.frames(_chunks()[:1])
    assert np.allclose(features[:, -32:], last, atol=1e-5) and not np.allclose(features[:, :32], last, atol=1e-3)


@pytest.mark.slow
def test_the_pinned_file_name_is_found_in_a_chosen_folder(home, tmp_path):
    folder = save_tiny_beats(tmp_path / "beats", name=BEATS_CHECKPOINT)
    (folder / "notes.pt").write_bytes(b"")  # a second .pt: the pinned name still decides
    set_model_folder(home, "BEATS", folder)
    assert load_embedder("BEATS", home, device=CPU).dim == 32


def test_a_checkpoint_that_would_run_code_is_refused_in_one_line(home, tmp_path):
    marker = tmp_path / "ran.txt"

    class Evil:
        def __reduce__(self):
            return (marker.write_text, ("ran",))

    folder = tmp_path / "beats"
    folder.mkdir()
    (folder / "BEATs_evil.pt").write_bytes(pickle.dumps({"cfg": {}, "model": Evil()}))
    with pytest.raises(ModelUnavailable) as info:
        load_embedder("BEATS", home, device=CPU, local_dir=folder)
    message = str(info.value)
    assert "\n" not in message and "BEATs_evil.pt" in message and message.startswith("BEATS")
    assert "not a weights-only checkpoint" in message
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"", b"garbage", pickle.dumps([1, 2, 3]), pickle.dumps({"cfg": {}})])
def test_damaged_checkpoints_are_one_line(home, tmp_path, content):
    folder = tmp_path / "beats"
    folder.mkdir()
    (folder / "BEATs.pt").write_bytes(content)
    with pytest.raises(ModelUnavailable) as info:
        load_embedder("BEATS", home, device=CPU, local_dir=folder)
    assert "\n" not in str(info.value) and str(folder / "BEATs.pt") in str(info.value)


@pytest.mark.slow
def test_relative_position_buckets_split_directions_exact_then_logarithmic():
    buckets = relative_position_buckets(6000, num_buckets=320, max_distance=800)
    row = buckets[3000]  # query in the middle: offsets -3000 .. +2999
    at = {offset: int(row[3000 + offset]) for offset in (0, -1, 1, -79, 79, -80, 80, -799, -2999, 2999)}
    assert at[0] == 0 and at[-1] == 1 and at[1] == 161 and at[-79] == 79 and at[79] == 239
    assert at[-80] == 80 and at[80] == 240  # the logarithmic part starts where the exact one ends
    assert at[-799] == 159 and at[-2999] == 159 and at[2999] == 319  # far offsets share the last bucket
    assert (np.diff(row[:3000].numpy()) <= 0).all()  # farther to the left, never a nearer bucket


@pytest.mark.slow
def test_input_is_the_povey_fbank_of_16_bit_audio_normalised():
    audio = tone_burst_track(1.0, [0.2], seed=7)
    expected = (fbank.kaldi_fbank(audio * 32768, window="povey") - 15.41663) / (2 * 6.55582)
    assert np.allclose(beats_input(audio), expected) and beats_input(audio).shape == (98, 128)


@pytest.mark.slow
def test_a_checkpoint_resaved_with_weight_norm_parametrisations_loads_too(home, tmp_path):
    import torch

    folder = save_tiny_beats(tmp_path / "beats", seed=2)
    path = folder / "BEATs_tiny.pt"
    checkpoint = torch.load(path, weights_only=True)
    state = checkpoint["model"]
    state["encoder.pos_conv.0.parametrizations.weight.original0"] = state.pop("encoder.pos_conv.0.weight_g")
    state["encoder.pos_conv.0.parametrizations.weight.original1"] = state.pop("encoder.pos_conv.0.weight_v")
    torch.save(checkpoint, path)
    loaded = load_embedder("BEATS", home, device=CPU, local_dir=folder).frames(_chunks()[:1])[0][1]
    expected = BeatsEmbedder("BEATS", tiny_beats_network(seed=2), CPU).frames(_chunks()[:1])[0][1]
    assert np.allclose(loaded, expected, atol=1e-5)
