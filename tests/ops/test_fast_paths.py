"""The short paths of fastconv.ops argument checking (memoised geometry, plain-numpy
checks, trusted pooling indices) accept and refuse exactly what the full checks do."""
import numpy as np
import pytest

from fastconv import ops
from fastconv.ops import _args

X_SHAPE, W_SHAPE = (2, 3, 6, 6), (4, 3, 3, 3)


def test_conv_geometry_cached_result_matches_uncached():
    cached = ops.conv2d_geometry(X_SHAPE, W_SHAPE, (2, 1), (1, 0), 1, 1)
    again = ops.conv2d_geometry(X_SHAPE, W_SHAPE, (2, 1), (1, 0), 1, 1)
    from_lists = ops.conv2d_geometry(list(X_SHAPE), list(W_SHAPE), [2, 1], [1, 0], [1, 1], 1)
    numpy_ints = ops.conv2d_geometry(X_SHAPE, W_SHAPE, np.int64(2), 0, 1, np.int32(1))
    assert cached == again == from_lists
    assert numpy_ints[1] == (2, 4, 2, 2)


@pytest.mark.parametrize("kwargs, error", [
    (dict(stride=(1, True)), TypeError),
    (dict(stride=True), TypeError),
    (dict(stride=(1.0, 1)), TypeError),
    (dict(stride=1.0), TypeError),
    (dict(dilation=(1, True)), TypeError),
    (dict(groups=True), ValueError),
    (dict(groups=1.0), ValueError),
    (dict(padding=(0, False)), TypeError),
])
def test_conv_geometry_cache_never_confuses_equal_values_of_other_types(kwargs, error):
    # warm the cache with the int version of the same options first
    ops.conv2d_geometry(X_SHAPE, W_SHAPE, 1, 0, 1, 1)
    ops.conv2d_geometry(X_SHAPE, W_SHAPE, stride=(1, 1), padding=(0, 0), dilation=(1, 1))
    with pytest.raises(error):
        ops.conv2d_geometry(X_SHAPE, W_SHAPE, **kwargs)


def test_geometry_errors_are_raised_every_time_with_the_same_message():
    for _ in range(2):
        with pytest.raises(ValueError, match=r"stride must be >= 1, got \[0, 1\]"):
            ops.conv2d_geometry(X_SHAPE, W_SHAPE, stride=[0, 1])
        with pytest.raises(ValueError, match=r"stride must be >= 1, got \(0, 1\)"):
            ops.conv2d_geometry(X_SHAPE, W_SHAPE, stride=(0, 1))
        with pytest.raises(ValueError, match="larger than the padded input"):
            ops.conv2d_geometry((1, 3, 2, 2), W_SHAPE)
        with pytest.raises(ValueError, match="kernel_size"):
            ops.max_pool2d_geometry((1, 1, 4, 4), 0)


def test_pool_geometry_cache_keeps_bool_and_int_apart():
    assert ops.max_pool2d_geometry((1, 1, 5, 5), 2, ceil_mode=True)[1] == (1, 1, 3, 3)
    assert ops.max_pool2d_geometry((1, 1, 5, 5), 2, ceil_mode=False)[1] == (1, 1, 2, 2)
    with pytest.raises(TypeError):
        ops.max_pool2d_geometry((1, 1, 5, 5), (2, True))


def test_plain_values_are_exactly_ints_strings_bools_none_and_int_tuples():
    assert _args._plain([1, "same", True, None, (1, 2), ()])
    for value in ([1, 2], (1, 2.0), (1, True), 1.0, np.int64(1), ((1,),)):
        assert not _args._plain([value])


def test_float_array_fast_path():
    x = np.ones((2, 3), np.float32)
    assert _args.float_array(x, "x", 2) is x
    strided = np.ones((4, 6), np.float64)[::2, ::2]
    made = _args.float_array(strided, "x", 2)
    assert made.flags.c_contiguous and np.array_equal(made, strided)
    with pytest.raises(TypeError, match="x must have dtype float32 or float64"):
        _args.float_array(np.ones(3, dtype=">f4"), "x")
    with pytest.raises(TypeError, match="float32 or float64, got int64"):
        _args.float_array(np.ones(3, np.int64), "x")
    with pytest.raises(ValueError, match="x must be 2-D"):
        _args.float_array(np.ones(3, np.float32), "x", 2)


def test_array_module_fast_path_still_refuses_mixed_devices():
    class FakeCupy:
        __module__ = "cupy._core.core"
    assert _args.array_module(np.ones(1), None, np.ones(2)) is np
    with pytest.raises(TypeError, match="one device"):
        _args.array_module(np.ones(1), FakeCupy())


def test_untrusted_indices_are_still_refused_without_the_python_check():
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4)).astype(np.float32)
    y, idx = ops.max_pool2d_forward(x, 2)
    good = ops.max_pool2d_backward(np.ones_like(y), idx, x.shape, 2, check_indices=False)
    assert np.array_equal(good, ops.max_pool2d_backward(np.ones_like(y), idx, x.shape, 2))
    bad = idx.copy()
    bad[0, 0, 0, 0] = 16
    with pytest.raises(ValueError, match="indices must lie in"):
        ops.max_pool2d_backward(np.ones_like(y), bad, x.shape, 2)
    with pytest.raises(ValueError, match="out of range"):
        ops.max_pool2d_backward(np.ones_like(y), bad, x.shape, 2, check_indices=False)
