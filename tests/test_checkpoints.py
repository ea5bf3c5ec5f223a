"""Nested checkpoints (as training scripts save them) and hostile files: exact round
trips without pickle, bounded memory, clear errors."""
import io
import json
import math
import zipfile

import numpy as np
import pytest

import fastconv as fc
from fastconv import nn, optim
from fastconv.serialization import _npz, load, save


def _checkpoint():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    model(fc.tensor(np.ones((5, 3), np.float32))).sum().backward()
    opt.step()
    return model, opt, {"net": model.state_dict(), "acc": 91.2, "epoch": 7,
                        "optimizer": opt.state_dict(), "best": None, "name": "run-1",
                        "history": [0.5, 0.25, float("nan"), float("inf")],
                        "shape": (2, 3), "flag": True, "step": np.int64(40),
                        "lr": np.float32(0.1), "raw": np.arange(4.0)}


def _same(a, b):
    if isinstance(a, fc.Tensor):
        assert isinstance(b, fc.Tensor) and a.dtype == b.dtype
        np.testing.assert_array_equal(a.data, b.data)
    elif isinstance(a, np.ndarray):
        assert type(b) is np.ndarray and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, np.generic):
        assert type(a) is type(b) and a == b
    elif isinstance(a, dict):
        assert list(a) == list(b) and [type(k) for k in a] == [type(k) for k in b]
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b)
    else:
        assert type(a) is type(b) and a == b


def test_nested_checkpoint_round_trip_is_exact(tmp_path):
    _, _, ckpt = _checkpoint()
    path = tmp_path / "ckpt.pt"
    save(ckpt, path)
    loaded = load(path, map_location="cpu", weights_only=True)
    _same(ckpt, loaded)
    with np.load(path, allow_pickle=False) as archive:    # still an ordinary .npz
        assert "net/0.weight" in archive.files


def test_resumed_optimizer_continues_exactly(tmp_path):
    model, opt, ckpt = _checkpoint()
    save(ckpt, tmp_path / "c")
    loaded = load(tmp_path / "c")
    twin = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    twin.load_state_dict(loaded["net"])
    twin_opt = optim.Adam(twin.parameters(), lr=1e-3)
    twin_opt.load_state_dict(loaded["optimizer"])
    for m, o in ((model, opt), (twin, twin_opt)):
        o.zero_grad()
        m(fc.tensor(np.full((5, 3), 0.5, np.float32))).sum().backward()
        o.step()
    for a, b in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_file_objects_and_flat_dicts(tmp_path):
    buffer = io.BytesIO()
    save({"w": fc.tensor(np.ones(3))}, buffer)
    buffer.seek(0)
    loaded = load(buffer)
    assert list(loaded) == ["w"] and isinstance(loaded["w"], fc.Tensor)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as zf:
        assert zf.namelist() == ["w.npy"]      # a flat state dict needs no index


def test_map_location_variants(tmp_path):
    save({"w": np.ones(2)}, tmp_path / "c")
    assert load(tmp_path / "c", map_location={"cuda:0": "cpu"})["w"].device == "cpu"
    with pytest.raises(ValueError, match="map_location"):
        load(tmp_path / "c", map_location="tpu")


def test_self_reference_is_refused(tmp_path):
    loop = {"a": 1}
    loop["self"] = loop
    with pytest.raises(ValueError, match="refers to itself"):
        save(loop, tmp_path / "c")


# ------------------------------------------------------------------ hostile files

def _with_magic(header_dict):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header_dict)
    return buf.getvalue()


def _archive(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def test_declared_size_beyond_budget_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.npz"
    header = {"descr": "<f8", "fortran_order": False, "shape": (1 << 20, 1 << 15)}
    _archive(path, {"w.npy": _with_magic(header) + b"\0" * 64})
    with pytest.raises(MemoryError, match="max_bytes"):
        load(path)


def test_compressed_bomb_is_bounded(tmp_path):
    path = tmp_path / "bomb.npz"
    header = {"descr": "<f4", "fortran_order": False, "shape": (16 << 20,)}  # 64 MB
    _archive(path, {"w.npy": _with_magic(header) + bytes(64 << 20)},
             compression=zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 1 << 18
    with pytest.raises(MemoryError, match="max_bytes=1000000"):
        load(path, max_bytes=1_000_000)


@pytest.mark.parametrize("dtype", ["<M8[s]", "<c16", "<U3", "|S4", "|V8"])
def test_dtypes_a_tensor_cannot_hold_are_refused(tmp_path, dtype):
    path = tmp_path / "odd.npz"
    header = {"descr": dtype, "fortran_order": False, "shape": (2,)}
    _archive(path, {"w.npy": _with_magic(header) + bytes(2 * np.dtype(dtype).itemsize)})
    with pytest.raises(ValueError, match="cannot hold"):
        load(path)


def test_truncated_member_is_reported_as_truncated_not_pickled(tmp_path):
    path = tmp_path / "short.npz"
    header = {"descr": "<f8", "fortran_order": False, "shape": (10,)}
    _archive(path, {"w.npy": _with_magic(header) + bytes(40)})
    with pytest.raises(ValueError, match="truncated") as info:
        load(path)
    assert "pickle" not in str(info.value)


def test_trailing_data_is_refused(tmp_path):
    path = tmp_path / "long.npz"
    header = {"descr": "<f8", "fortran_order": False, "shape": (2,)}
    _archive(path, {"w.npy": _with_magic(header) + bytes(24)})
    with pytest.raises(ValueError, match="beyond its declared shape"):
        load(path)


@pytest.mark.parametrize("index", [
    b"not json", b'{"tree": {"value": 1}}', b'{"fastconv_checkpoint": 1, "tree": {"x": 1}}',
    b'{"fastconv_checkpoint": 1, "tree": {"tensor": "missing"}}',
    b'{"fastconv_checkpoint": 1, "tree": {"dict": [[1]]}}',
    b'{"fastconv_checkpoint": 1, "tree": {"float": "1e999"}}'])
def test_malformed_index_is_a_clear_value_error(tmp_path, index):
    path = tmp_path / "bad.npz"
    _archive(path, {_npz.INDEX_MEMBER: index})
    with pytest.raises(ValueError, match="bad.npz"):
        load(path)


def test_fortran_order_member_loads_correctly(tmp_path):
    a = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    path = tmp_path / "f.npz"
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a)
    _archive(path, {"a.npy": buf.getvalue()})
    np.testing.assert_array_equal(load(path)["a"].data, a)


def test_index_is_plain_json(tmp_path):
    save({"epoch": 3, "w": [np.ones(1)]}, tmp_path / "c")
    with zipfile.ZipFile(tmp_path / "c") as zf:
        header = json.loads(zf.read(_npz.INDEX_MEMBER))
    assert header["fastconv_checkpoint"] == 1
    assert header["tree"]["dict"][0] == ["epoch", {"value": 3}]
