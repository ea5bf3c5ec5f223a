"""The .safetensors format: byte-identical to the safetensors library's files both ways,
nested checkpoints in its metadata, PyTorch weights loading into fastconv models, and
hostile headers refused clearly."""
import io
import json
import struct

import numpy as np
import pytest

import fastconv as fc
from fastconv.serialization import load, save


def _arrays():
    rng = np.random.default_rng(0)
    return {"w": rng.standard_normal((3, 2)).astype(np.float32), "b": np.arange(4.0),
            "steps": np.array(7, dtype=np.int64), "mask": np.array([True, False]),
            "u8": np.arange(5, dtype=np.uint8), "empty": np.zeros((0, 3), np.float32)}


def test_round_trip_and_format_by_extension(tmp_path):
    arrays = _arrays()
    save(arrays, tmp_path / "m.safetensors")
    assert (tmp_path / "m.safetensors").read_bytes()[8:9] == b"{"
    loaded = load(tmp_path / "m.safetensors")
    assert sorted(loaded) == sorted(arrays)
    for key, value in arrays.items():
        assert loaded[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded[key].data, value)
    buffer = io.BytesIO()
    save(arrays, buffer, format="safetensors")
    buffer.seek(0)
    assert sorted(load(buffer)) == sorted(arrays)        # detected by content


def test_library_reads_ours_and_writes_the_same_bytes(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    arrays = _arrays()
    save(arrays, tmp_path / "ours.safetensors")
    theirs = st.load_file(str(tmp_path / "ours.safetensors"))
    for key, value in arrays.items():
        np.testing.assert_array_equal(theirs[key], value)
        assert theirs[key].dtype == value.dtype
    assert (tmp_path / "ours.safetensors").read_bytes() == st.save(arrays)


def test_we_read_the_librarys_files_with_metadata(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    arrays = _arrays()
    st.save_file(arrays, str(tmp_path / "lib.safetensors"), metadata={"format": "np"})
    loaded = load(tmp_path / "lib.safetensors")
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded[key].data, value)


def test_nested_checkpoint_in_safetensors(tmp_path):
    ckpt = {"epoch": 3, "net": {"w": fc.tensor(np.ones(2))}, "opt": {0: {"step": 2.0}}}
    save(ckpt, tmp_path / "c.safetensors")
    loaded = load(tmp_path / "c.safetensors")
    assert loaded["epoch"] == 3 and list(loaded["opt"]) == [0]
    np.testing.assert_array_equal(loaded["net"]["w"].data, np.ones(2))


@pytest.mark.parametrize("name, shape", [("lenet5", (1, 28, 28)), ("cnn_bn", (1, 28, 28)),
                                         ("resnet20", (3, 32, 32)), ("vgg11_bn", (3, 32, 32))])
def test_torch_state_dict_loads_into_the_fastconv_model(tmp_path, name, shape):
    """A PyTorch twin's weights (and BatchNorm statistics), written by
    safetensors.torch.save_file, load into the fastconv model and give its outputs; and
    fastconv's file loads back into the twin."""
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    from fastconv.models import torch_twins
    torch.manual_seed(0)
    theirs = getattr(torch_twins, name + "_torch")()
    with torch.no_grad():   # running statistics other than the defaults
        for m in theirs.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    theirs.eval()
    st.save_file(theirs.state_dict(), str(tmp_path / "theirs.safetensors"))
    ours = getattr(fc.models, name)().eval()
    ours.load_state_dict(load(tmp_path / "theirs.safetensors"))
    x = np.random.default_rng(1).standard_normal((2,) + shape).astype(np.float32)
    with fc.no_grad():
        a = ours(fc.tensor(x)).numpy()
    with torch.no_grad():
        b = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * max(1.0, np.abs(b).max()))
    save(ours.state_dict(), tmp_path / "back.safetensors")        # and the other way
    theirs.load_state_dict(st.load_file(str(tmp_path / "back.safetensors")))


def _file(tmp_path, header, data=b"", length=None):
    text = json.dumps(header).encode()
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + data)
    return path


ENTRY = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize("header,data,length,match", [
    ({"a": ENTRY}, bytes(8), 1 << 40, "header length"),
    ({"a": ENTRY}, bytes(4), None, "cover 8 bytes"),
    ({"a": ENTRY}, bytes(12), None, "cover 8 bytes"),
    ({"a": ENTRY, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8),
     None, "tile"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}, bytes(16), None, "tile"),
    ({"a": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, bytes(4), None,
     "dtype 'BF16'"),
    ({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8), None,
     "needs 12"),
    ({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, bytes(8), None,
     "invalid shape"),
    ({"a": {"dtype": "F32", "shape": [2]}}, bytes(8), None, "exactly dtype"),
    ({"__metadata__": {"k": 1}}, b"", None, "__metadata__"),
])
def test_hostile_headers_are_refused(tmp_path, header, data, length, match):
    path = _file(tmp_path, header, data, length)
    with pytest.raises(ValueError, match=match) as info:
        load(path)
    assert "bad.safetensors" in str(info.value)


def test_data_beyond_budget_is_refused(tmp_path):
    save({"w": np.zeros(1000)}, tmp_path / "w.safetensors")
    with pytest.raises(MemoryError, match="max_bytes"):
        load(tmp_path / "w.safetensors", max_bytes=4000)
