"""save/load: exact round trips, atomic writes, pickle-free loading, clear errors."""
import os
import zipfile

import numpy as np
import pytest

import fastconv as fc
from fastconv import nn
from fastconv.serialization import load, save


def _state():
    rng = np.random.default_rng(0)
    return {
        "conv.weight": fc.tensor(rng.standard_normal((2, 1, 3, 3)).astype(np.float32)),
        "conv.bias": rng.standard_normal(2),                         # a plain float64 array
        "steps": np.array(7, dtype=np.int64),                        # 0-d
        "mask": np.array([True, False]),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "odd/name with spaces": np.arange(6, dtype=np.int32).reshape(2, 3)[:, ::2],
    }


def _files(directory):
    return sorted(os.listdir(directory))


def test_round_trip_is_exact(tmp_path):
    state = _state()
    path = tmp_path / "ckpt.npz"
    save(state, path)
    loaded = load(path)
    assert list(loaded) == list(state)
    for key, value in state.items():
        expected = value.data if isinstance(value, fc.Tensor) else value
        assert isinstance(loaded[key], fc.Tensor)
        assert loaded[key].dtype == expected.dtype
        assert loaded[key].shape == tuple(expected.shape)
        np.testing.assert_array_equal(loaded[key].data, expected)
    assert _files(tmp_path) == ["ckpt.npz"]
    np.load(path, allow_pickle=False).close()            # an ordinary .npz for numpy too


def test_module_state_dict_round_trip(tmp_path):
    a, b = nn.Linear(4, 3), nn.Linear(4, 3)
    save(a.state_dict(), str(tmp_path / "linear"))       # path used as given, no suffix
    assert _files(tmp_path) == ["linear"]
    b.load_state_dict(load(tmp_path / "linear"))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)


def test_overwrite_replaces_the_file(tmp_path):
    path = tmp_path / "ckpt.npz"
    save({"a": np.zeros(2)}, path)
    save({"b": np.ones(3)}, path)
    assert list(load(path)) == ["b"]
    assert _files(tmp_path) == ["ckpt.npz"]


def test_failing_write_leaves_previous_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save({"a": np.arange(4.0)}, path)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", fail)
    with pytest.raises(OSError, match="disk full"):
        save({"a": np.zeros(4)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["ckpt.npz"]

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        save({"a": np.zeros(4)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["ckpt.npz"]


def test_bad_values_are_rejected_before_writing(tmp_path):
    path = tmp_path / "ckpt.npz"
    with pytest.raises(TypeError, match="cannot store a set"):
        save({"a": {1, 2}}, path)
    with pytest.raises(TypeError, match="dict keys must be"):
        save({(1, 2): np.zeros(1)}, path)
    with pytest.raises(TypeError, match="dtype object"):
        save({"a": np.array([{}], dtype=object)}, path)
    with pytest.raises(TypeError, match="dtype complex128"):
        save({"a": np.zeros(2, dtype=complex)}, path)
    assert _files(tmp_path) == []


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.npz")


def test_truncated_file_raises_value_error_naming_path(tmp_path):
    path = tmp_path / "ckpt.npz"
    save({"w": np.random.default_rng(1).standard_normal((50, 50))}, path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 10):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="ckpt.npz"):
            load(path)


def test_random_bytes_raise_value_error(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(2).bytes(4096))
    with pytest.raises(ValueError, match="noise.npz"):
        load(path)
    path.write_bytes(b"PK\x03\x04" + np.random.default_rng(3).bytes(500))
    with pytest.raises(ValueError, match="noise.npz"):
        load(path)


def test_object_arrays_are_rejected_without_unpickling(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, ok=np.zeros(2), evil=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickled.npz"):
        load(path)


def test_foreign_files_raise_value_error(tmp_path):
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match="single.npy"):
        load(single)
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "not an array")
    with pytest.raises(ValueError, match="other.zip"):
        load(archive)
