"""fastconv.ops take buffer-protocol and __array_interface__ objects without a copy when
they are C-contiguous float32/float64."""
import array

import numpy as np
import pytest

import fastconv.ops as ops


class _Interface:
    """Exposes a numpy array only through __array_interface__ (as many libraries do)."""

    def __init__(self, a):
        self._a = a
        self.__array_interface__ = a.__array_interface__


def test_relu_into_a_memoryview_shares_memory():
    x = np.array([-1.0, 2.0, -3.0, 4.0], np.float32)
    ops.relu_forward(memoryview(x), out=x)
    assert x.tolist() == [0.0, 2.0, 0.0, 4.0]


@pytest.mark.parametrize("wrap", [memoryview, _Interface], ids=["buffer", "interface"])
def test_inputs_are_read_in_place(wrap, monkeypatch):
    from fastconv.ops import _args
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    w = np.random.default_rng(1).standard_normal((4, 3, 3, 3)).astype(np.float32)
    seen = []
    real = _args.float_array

    def spy(a, name, ndim=None):
        out = real(a, name, ndim)
        seen.append((name, out))
        return out
    monkeypatch.setattr(_args, "float_array", spy)
    y = ops.conv2d_forward(wrap(x), wrap(w))
    np.testing.assert_array_equal(y, ops.conv2d_forward(x, w))
    arrays = dict(seen[:2])
    assert np.shares_memory(arrays["input"], x) and np.shares_memory(arrays["weight"], w)


def test_array_array_and_linear():
    x = array.array("d", [1.0, -2.0, 3.0])
    y = ops.relu_forward(x)
    assert y.dtype == np.float64 and y.tolist() == [1.0, 0.0, 3.0]
    got = ops.linear_forward(_Interface(np.eye(2, dtype=np.float32)),
                             np.full((3, 2), 2.0, np.float32), None)
    assert got.tolist() == [[2.0] * 3] * 2


def test_non_contiguous_or_wrong_dtype():
    base = np.arange(12.0).reshape(3, 4)
    y = ops.relu_forward(_Interface(base[:, ::2]))       # strided: copied, still right
    assert y.tolist() == base[:, ::2].tolist()
    with pytest.raises(TypeError, match="float32 or float64"):
        ops.relu_forward(memoryview(np.arange(3, dtype=np.int32)))
    with pytest.raises(TypeError, match="buffer protocol"):
        ops.relu_forward([1.0, 2.0])
