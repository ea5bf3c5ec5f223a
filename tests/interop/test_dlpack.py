"""Zero-copy exchange: Tensor.__dlpack__/__dlpack_device__, fastconv.from_dlpack (numpy
and torch producers), Tensor.__array__'s copy protocol and numpy functions on Tensors."""
import numpy as np
import pytest

import fastconv


def test_numpy_reads_a_tensor_in_place():
    t = fastconv.tensor([1.0, 2.0, 3.0])
    assert t.__dlpack_device__() == (1, 0)
    a = np.from_dlpack(t)
    assert np.shares_memory(a, t._data)
    a[0] = 9.0
    assert t.tolist() == [9.0, 2.0, 3.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.uint8])
def test_from_dlpack_of_numpy_shares_memory(dtype):
    n = np.arange(12, dtype=dtype).reshape(3, 4)
    t = fastconv.from_dlpack(n)
    assert isinstance(t, fastconv.Tensor) and t.dtype == dtype and t.shape == (3, 4)
    assert np.shares_memory(t._data, n)
    n[1, 2] = 7
    assert t[1, 2].item() == 7


def test_from_dlpack_of_a_strided_view_keeps_strides():
    n = np.arange(20.0, dtype=np.float32).reshape(4, 5)[:, 1:4]
    t = fastconv.from_dlpack(n)
    assert np.shares_memory(t._data, n) and t.tolist() == n.tolist()


def test_from_dlpack_of_a_tensor_shares_memory():
    t = fastconv.randn(3)
    u = fastconv.from_dlpack(t)
    assert u is not t and np.shares_memory(u._data, t._data)


def test_tensor_requiring_grad_must_be_detached():
    t = fastconv.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        t.__dlpack__()
    assert np.shares_memory(np.from_dlpack(t.detach()), t._data)


def test_from_dlpack_refuses_other_objects():
    with pytest.raises(TypeError, match="__dlpack__"):
        fastconv.from_dlpack([1.0, 2.0])


def test_torch_exchange_both_ways():
    torch = pytest.importorskip("torch")
    t = fastconv.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    tt = torch.from_dlpack(t)
    tt[0, 0] = 42.0
    assert t[0, 0].item() == 42.0
    src = torch.arange(8, dtype=torch.float64).reshape(2, 4)
    f = fastconv.from_dlpack(src)
    assert f.dtype == np.float64 and f.shape == (2, 4)
    src[1, 3] = -1.0
    assert f[1, 3].item() == -1.0
    f._data[0, 0] = 5.0
    assert src[0, 0].item() == 5.0
    out = fastconv.nn.functional.relu(f - 3.0)      # usable as any Tensor
    assert out.tolist() == torch.relu(src - 3.0).tolist()


def test_array_protocol_copies_only_when_asked():
    t = fastconv.tensor([1.0, 2.0])
    assert np.shares_memory(np.asarray(t), t._data)
    assert not np.shares_memory(np.array(t), t._data)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="copy"):
        np.asarray(t, dtype=np.float64, copy=False)
    assert np.shares_memory(np.asarray(t, copy=False), t._data)


def test_numpy_functions_take_tensors():
    a, b = fastconv.tensor([1.0, 2.0]), fastconv.tensor([3.0])
    assert np.concatenate([a, b]).tolist() == [1.0, 2.0, 3.0]
    assert np.allclose(a, [1.0, 2.0]) and np.stack([a, a]).shape == (2, 2)
    assert fastconv.Tensor.__array_priority__ > np.zeros(1).__array_priority__
    r = np.ones(2, np.float32) + a               # numpy defers: a Tensor comes back
    assert isinstance(r, fastconv.Tensor) and r.tolist() == [2.0, 3.0]
