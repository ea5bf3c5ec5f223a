"""Property-based tests of fastconv.ops (hypothesis): random geometries, dtypes and memory
layouts (Fortran order, negative strides, transposed and strided views) against the
float64 generic oracle; hostile arguments get a TypeError or ValueError, never a crash
or another exception.

The default profile ("ci", tests/conftest.py) runs a bounded, derandomised number of
examples; `pytest --hypothesis-profile=long tests/ops/test_properties.py` runs many more.
"""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import assume, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from fastconv import ops  # noqa: E402
from fastconv.ops._dispatch import use_backend  # noqa: E402

DTYPES = st.sampled_from([np.float32, np.float64])
LAYOUTS = st.sampled_from(["c", "fortran", "negative", "transposed", "strided"])


def _layout(a: np.ndarray, layout: str) -> np.ndarray:
    """The same values as `a` in another memory layout (a view where one exists)."""
    if a.ndim == 0:
        return a
    if layout == "fortran":
        return np.asfortranarray(a)
    if layout == "negative":
        return np.flip(np.flip(a).copy())
    if layout == "transposed":
        perm = tuple(reversed(range(a.ndim)))
        return np.ascontiguousarray(a.transpose(perm)).transpose(perm)
    if layout == "strided":
        wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        wide[..., ::2] = a
        return wide[..., ::2]
    return a


def _close(actual, expected, dtype) -> None:
    expected = np.asarray(expected, np.float64)
    tol = 1e-4 if np.dtype(dtype) == np.float32 else 1e-11
    scale = max(1.0, float(np.max(np.abs(expected[np.isfinite(expected)]), initial=0)))
    np.testing.assert_allclose(np.asarray(actual, np.float64), expected, rtol=tol,
                               atol=tol * scale)


def _oracle(fn, *arrays):
    """fn on float64 copies of the arrays, run by the generic backend."""
    with use_backend("generic"):
        return fn(*[np.array(a, dtype=np.float64) if a is not None and
                    np.asarray(a).dtype.kind == "f" else a for a in arrays])


@st.composite
def conv_cases(draw):
    groups = draw(st.integers(1, 2))
    c_in = groups * draw(st.integers(1, 3))
    c_out = groups * draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    n = draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    return dict(x=(n, c_in, h, w), w=(c_out, c_in // groups, kh, kw), stride=stride,
                padding=padding, dilation=dilation, groups=groups)


def _conv_valid(case) -> bool:
    try:
        ops.conv2d_geometry(case["x"], case["w"], case["stride"], case["padding"],
                            case["dilation"], case["groups"])
    except ValueError:
        return False
    return True


@given(conv_cases(), DTYPES, LAYOUTS, LAYOUTS, st.integers(0, 2 ** 32 - 1))
def test_conv2d_all_passes_match_the_oracle(case, dtype, x_layout, w_layout, seed):
    assume(_conv_valid(case))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case["x"]).astype(dtype)
    w = rng.standard_normal(case["w"]).astype(dtype)
    b = rng.standard_normal(case["w"][0]).astype(dtype)
    opts = (case["stride"], case["padding"], case["dilation"], case["groups"])
    y = ops.conv2d_forward(_layout(x, x_layout), _layout(w, w_layout), b, *opts)
    _close(y, _oracle(lambda *a: ops.conv2d_forward(*a, *opts), x, w, b), dtype)
    dy = _layout(rng.standard_normal(y.shape).astype(dtype), x_layout)
    dx = ops.conv2d_backward_data(dy, _layout(w, w_layout), x.shape, *opts)
    _close(dx, _oracle(lambda d, ww: ops.conv2d_backward_data(d, ww, x.shape, *opts), dy, w),
           dtype)
    dw = ops.conv2d_backward_weight(_layout(x, x_layout), dy, w.shape, *opts)
    _close(dw, _oracle(lambda xx, d: ops.conv2d_backward_weight(xx, d, w.shape, *opts), x, dy),
           dtype)
    _close(ops.conv2d_backward_bias(dy), np.asarray(dy, np.float64).sum(axis=(0, 2, 3)), dtype)


@st.composite
def pool_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return dict(x=(draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 9)),
                   draw(st.integers(1, 9))),
                kernel=(kh, kw),
                stride=draw(st.one_of(st.none(), st.tuples(st.integers(1, 3),
                                                           st.integers(1, 3)))),
                padding=(draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))),
                dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))),
                ceil_mode=draw(st.booleans()))


@given(pool_cases(), DTYPES, LAYOUTS, st.integers(0, 2 ** 32 - 1))
def test_max_pool2d_matches_the_oracle(case, dtype, layout, seed):
    args = (case["kernel"], case["stride"], case["padding"], case["dilation"],
            case["ceil_mode"])
    try:
        ops.max_pool2d_geometry(case["x"], *args)
    except ValueError:
        assume(False)
    rng = np.random.default_rng(seed)
    size = int(np.prod(case["x"]))
    x = (rng.permutation(size).reshape(case["x"]) / size).astype(dtype)   # no ties
    y, idx = ops.max_pool2d_forward(_layout(x, layout), *args)
    with use_backend("generic"):
        ref_y, ref_idx = ops.max_pool2d_forward(x.astype(np.float64), *args)
    _close(y, ref_y, dtype)
    np.testing.assert_array_equal(idx, ref_idx)
    dy = rng.standard_normal(y.shape).astype(dtype)
    dx = ops.max_pool2d_backward(_layout(dy, layout), idx, x.shape, *args)
    with use_backend("generic"):
        ref_dx = ops.max_pool2d_backward(dy.astype(np.float64), idx, x.shape, *args)
    _close(dx, ref_dx, dtype)


@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 40), DTYPES, LAYOUTS, LAYOUTS,
       st.booleans(), st.booleans(), st.integers(0, 2 ** 32 - 1))
def test_gemm_matches_numpy(m, n, k, dtype, a_layout, b_layout, trans_a, trans_b, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    c = ops.gemm(_layout(a, a_layout), _layout(b, b_layout), trans_a=trans_a, trans_b=trans_b)
    expected = (a.T if trans_a else a).astype(np.float64) @ (b.T if trans_b else b)
    _close(c, expected, dtype)


@given(st.lists(st.integers(0, 5), min_size=0, max_size=4), DTYPES, LAYOUTS,
       st.integers(0, 2 ** 32 - 1))
def test_relu_with_any_shape_and_nonfinite_values(shape, dtype, layout, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    if x.size:
        x.reshape(-1)[rng.integers(0, x.size)] = rng.choice([np.nan, np.inf, -np.inf])
    y = ops.relu_forward(_layout(x, layout))
    expected = np.where((x > 0) | np.isnan(x), x, 0)
    np.testing.assert_array_equal(y, expected)
    dx = ops.relu_backward(_layout(x, layout), y)
    np.testing.assert_array_equal(dx, np.where(y > 0, x, 0))


# ------------------------------------------------------------------ hostile arguments

HOSTILE_INTS = st.one_of(st.integers(-3, 3), st.sampled_from([2 ** 31, 2 ** 63, -(2 ** 31)]),
                         st.floats(allow_nan=True), st.none(), st.text(max_size=3),
                         st.tuples(st.integers(-2, 2 ** 31)),
                         st.tuples(st.integers(-2, 3), st.integers(-2, 3), st.integers(0, 3)),
                         st.just(True))
HOSTILE_ARRAYS = st.one_of(
    st.builds(lambda s, d: np.zeros(s, dtype=d),
              st.lists(st.integers(0, 4), min_size=0, max_size=5),
              st.sampled_from([np.float32, np.float64, np.float16, np.int64, np.complex64,
                               np.bool_])),
    st.just([1.0, 2.0]), st.none(), st.just(3.0))


def _only_clear_errors(call) -> None:
    try:
        call()
    except (TypeError, ValueError) as error:
        assert str(error), "an error without a message"


@given(HOSTILE_ARRAYS, HOSTILE_ARRAYS, HOSTILE_INTS, HOSTILE_INTS, HOSTILE_INTS, HOSTILE_INTS)
def test_conv2d_hostile_arguments(x, w, stride, padding, dilation, groups):
    _only_clear_errors(lambda: ops.conv2d_forward(x, w, None, stride, padding, dilation,
                                                  groups))


@given(HOSTILE_ARRAYS, HOSTILE_INTS, HOSTILE_INTS, HOSTILE_INTS, HOSTILE_INTS, st.booleans())
def test_max_pool2d_hostile_arguments(x, kernel, stride, padding, dilation, ceil_mode):
    _only_clear_errors(lambda: ops.max_pool2d_forward(x, kernel, stride, padding, dilation,
                                                      ceil_mode))


@given(HOSTILE_ARRAYS, HOSTILE_ARRAYS, st.booleans(), st.booleans())
def test_gemm_hostile_arguments(a, b, trans_a, trans_b):
    _only_clear_errors(lambda: ops.gemm(a, b, trans_a=trans_a, trans_b=trans_b))
