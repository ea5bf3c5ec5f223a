"""fastconv.ops.max_pool2x2_*: the fused pool's 1-byte-position kernels, against the
unfused ops (max_pool2d, relu_backward) bit for bit, the float64 generic backend, and
every instruction-set level (generic, avx2, avx512, switched in process)."""

import numpy as np
import pytest

import fastconv
from fastconv import ops

from fastconv._caps import isa_available, override

from ._helpers import generic_backend
from .test_pool import DTYPES, VALUES, _input

# odd sizes (a row or column outside every window), 1-wide rows, rows of several
# 16-output vectors plus a partial one, LeNet's planes; for the 8-lane AVX2 kernels also
# rows of exactly 8, 8 + 1 and 15 outputs and tall planes of rows shorter than 8
SHAPES = [(2, 3, 8, 8), (2, 3, 7, 9), (1, 1, 2, 2), (1, 2, 3, 2), (2, 2, 5, 70),
          (1, 2, 4, 33), (1, 1, 6, 64), (3, 6, 28, 28), (3, 16, 10, 10),
          (2, 1, 9, 17), (1, 2, 6, 18), (1, 1, 4, 30), (1, 2, 40, 4), (2, 1, 21, 7)]
ISAS = ("generic", "avx2", "avx512")


def _relu_output(rng, shape, values, dtype):
    """A ReLU'd conv output: zeros (ties), NaN, infinities, -0 as the op meets them."""
    x = _input(rng, shape, values, dtype)
    x = np.where(x < -0.5, dtype(0), x).astype(dtype)
    x.reshape(-1)[::11] = -0.0
    return x


def _upstream(rng, y, dtype):
    dy = rng.standard_normal(y.shape).astype(dtype)
    dy.reshape(-1)[::3] = -0.0            # -0 must come out as +0, as after zero-fill + add
    dy.reshape(-1)[1::13] = np.nan
    return dy


def _reference(x, dy):
    """The unfused ops: max_pool2d_forward, relu_backward then max_pool2d_backward."""
    y, idx = ops.max_pool2d_forward(x, 2)
    return y, idx, ops.max_pool2d_backward(ops.relu_backward(dy, y), idx, x.shape, 2)


@pytest.mark.parametrize("values", VALUES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_bit_identical_to_unfused_ops(rng, shape, dtype, values):
    x = _relu_output(rng, shape, values, dtype)
    y, pos = ops.max_pool2x2_forward(x)
    dy = _upstream(rng, y, dtype)
    ry, ridx, rdx = _reference(x, dy)
    assert y.dtype == dtype and pos.dtype == np.uint8 and pos.shape == y.shape
    assert y.tobytes() == ry.tobytes()
    w = shape[3]
    np.testing.assert_array_equal(pos, (ridx // w) % 2 * 2 + ridx % w % 2)
    dx = ops.max_pool2x2_relu_backward(dy, y, pos, x.shape)
    assert dx.dtype == dtype and dx.tobytes() == rdx.tobytes()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_native_matches_generic_and_float64(rng, shape, dtype):
    x = _relu_output(rng, shape, "nan", dtype)
    y, pos = ops.max_pool2x2_forward(x)
    dy = _upstream(rng, y, dtype)
    dx = ops.max_pool2x2_relu_backward(dy, y, pos, x.shape)
    with generic_backend():
        gy, gpos = ops.max_pool2x2_forward(x)
        gdx = ops.max_pool2x2_relu_backward(dy, y, pos, x.shape)
    assert y.tobytes() == gy.tobytes() and dx.tobytes() == gdx.tobytes()
    np.testing.assert_array_equal(pos, gpos)
    # the float64 run agrees on every value (float32 -> float64 is exact)
    y64, pos64 = ops.max_pool2x2_forward(x.astype(np.float64))
    np.testing.assert_array_equal(y64, y.astype(np.float64))
    np.testing.assert_array_equal(pos64, pos)
    dx64 = ops.max_pool2x2_relu_backward(dy.astype(np.float64), y64, pos64, x.shape)
    np.testing.assert_array_equal(dx64, dx.astype(np.float64))


def test_is_2x2():
    assert ops.max_pool2d_is_2x2((1, 1, 4, 4), 2)
    assert ops.max_pool2d_is_2x2((1, 1, 5, 7), (2, 2), (2, 2), 0, 1, False)
    assert ops.max_pool2d_is_2x2((1, 1, 5, 7), 2, [])
    assert not ops.max_pool2d_is_2x2((1, 1, 5, 7), 2, ceil_mode=True)   # partial window
    assert ops.max_pool2d_is_2x2((1, 1, 4, 6), 2, ceil_mode=True)       # ... none here
    for kw in (dict(kernel_size=3), dict(kernel_size=2, stride=1),
               dict(kernel_size=2, padding=1), dict(kernel_size=2, dilation=2)):
        assert not ops.max_pool2d_is_2x2((1, 1, 8, 8), **kw)


def test_out_buffers_and_unknown_positions(rng):
    x = rng.standard_normal((2, 3, 6, 5)).astype(np.float32)
    out, positions = np.empty((2, 3, 3, 2), np.float32), np.empty((2, 3, 3, 2), np.uint8)
    y, pos = ops.max_pool2x2_forward(x, out=out, positions=positions)
    assert y is out and pos is positions
    dy = rng.standard_normal(y.shape).astype(np.float32)
    dxo = np.full(x.shape, np.nan, np.float32)
    assert ops.max_pool2x2_relu_backward(dy, y, pos, x.shape, out=dxo) is dxo
    bad = pos.copy()
    bad[1, 2, 0, 1] = 4                                   # a position above 3 is refused
    with pytest.raises(ValueError, match=r"positions must lie in \[0, 3\].*got values up to 4"):
        ops.max_pool2x2_relu_backward(dy, y, bad, x.shape)
    bad = np.full_like(pos, 200)   # unchecked (check_positions=False): routes nowhere
    for kernel in (None, generic_backend):
        if kernel is None:
            dx = ops.max_pool2x2_relu_backward(dy, y, bad, x.shape, check_positions=False)
        else:
            with kernel():
                dx = ops.max_pool2x2_relu_backward(dy, y, bad, x.shape,
                                                   check_positions=False)
        assert (dx == 0).all()


def test_bad_arguments_name_the_argument(rng):
    x = rng.standard_normal((1, 2, 4, 4)).astype(np.float32)
    y, pos = ops.max_pool2x2_forward(x)
    with pytest.raises(ValueError, match="input must be 4-D"):
        ops.max_pool2x2_forward(x[0])
    with pytest.raises(ValueError, match="H, W >= 2"):
        ops.max_pool2x2_forward(x[:, :, :1])
    with pytest.raises(TypeError, match="input must have dtype"):
        ops.max_pool2x2_forward(x.astype(np.int32))
    with pytest.raises(TypeError, match="positions must be a uint8"):
        ops.max_pool2x2_relu_backward(y, y, pos.astype(np.int64), x.shape)
    with pytest.raises(ValueError, match="positions must have shape"):
        ops.max_pool2x2_relu_backward(y, y, pos[:, :1], x.shape)
    with pytest.raises(ValueError, match="grad_output must have shape"):
        ops.max_pool2x2_relu_backward(y[:, :1], y, pos, x.shape)
    with pytest.raises(TypeError, match="same dtype"):
        ops.max_pool2x2_relu_backward(y.astype(np.float64), y, pos, x.shape)
    with pytest.raises(ValueError, match="positions must have shape"):
        ops.max_pool2x2_forward(x, positions=np.empty((1, 1, 2, 2), np.uint8))


@pytest.mark.parametrize("isa", ISAS)
def test_every_isa_in_process(rng, isa):
    """Each instruction-set level (switched in process: generic = the portable loops of
    CPUs without AVX2, avx2 = the 8-lane kernels of AVX2-only CPUs) gives the same bytes
    as the unfused ops, ties, NaN, infinities and -0 included."""
    if not isa_available(isa):
        pytest.skip(f"this CPU does not run {isa}")
    with override(isa=isa):
        for shape in SHAPES:
            for dtype in DTYPES:
                for values in VALUES:
                    x = _relu_output(rng, shape, values, dtype)
                    y, pos = ops.max_pool2x2_forward(x)
                    dy = _upstream(rng, y, dtype)
                    ry, ridx, rdx = _reference(x, dy)
                    assert y.tobytes() == ry.tobytes(), (shape, dtype, values)
                    w = shape[3]
                    np.testing.assert_array_equal(pos, (ridx // w) % 2 * 2 + ridx % w % 2)
                    dx = ops.max_pool2x2_relu_backward(dy, y, pos, x.shape)
                    assert dx.tobytes() == rdx.tobytes(), (shape, dtype, values)


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("shape", [(64, 6, 28, 28), (32, 16, 10, 10), (16, 8, 14, 46)])
def test_every_isa_one_and_two_threads_agree(rng, restore_threads, isa, shape):
    """Large enough to split over threads: 1 and 2 threads give the same bytes at each
    level, and every level gives the portable loops' bytes."""
    if not isa_available(isa):
        pytest.skip(f"this CPU does not run {isa}")
    x = _relu_output(rng, shape, "nan", np.float32)
    dy = _upstream(rng, np.empty((shape[0], shape[1], shape[2] // 2, shape[3] // 2)),
                   np.float32)
    results = []
    for isa_, nthreads in ((isa, 1), (isa, 2), ("generic", 1)):
        fastconv.set_num_threads(nthreads)
        with override(isa=isa_):
            y, pos = ops.max_pool2x2_forward(x)
            dx = ops.max_pool2x2_relu_backward(dy, y, pos, x.shape)
        results.append((y.tobytes(), pos.tobytes(), dx.tobytes()))
    assert results[0] == results[1] == results[2]
