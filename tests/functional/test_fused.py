"""conv2d_relu_max_pool2d: bit-identical to the unfused ops (values and every gradient),
NaN and ties included; keeps no conv output; gradcheck; PyTorch."""
import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv.autograd import gradcheck
from fastconv.functional.conv import conv2d_relu, conv2d_relu_max_pool2d

from ._compare import DTYPES, compare_with_torch, leaf

# (x shape, weight shape, bias, conv (stride, padding, dilation, groups),
#  pool (kernel_size, stride, padding, dilation, ceil_mode))
CASES = [
    ((3, 1, 28, 28), (6, 1, 5, 5), True, (1, 2, 1, 1), (2, 2, 0, 1, False)),   # LeNet conv1
    ((3, 6, 14, 14), (16, 6, 5, 5), True, (1, 0, 1, 1), (2, 2, 0, 1, False)),  # LeNet conv2
    ((2, 3, 9, 8), (4, 3, 3, 3), True, (1, 0, 1, 1), (2, 2, 0, 1, False)),     # odd: 7x6
    ((2, 3, 9, 8), (4, 3, 3, 3), True, (1, 0, 1, 1), (2, 2, 0, 1, True)),      # ceil_mode
    ((2, 3, 11, 10), (4, 3, 3, 3), False, (2, 1, 1, 1), (3, 2, 1, 1, True)),   # overlapping
    ((1, 2, 10, 9), (4, 1, 3, 2), True, ((1, 2), (1, 0), (2, 1), 2),
     ((3, 2), (1, 2), (1, 0), 1, False)),                                      # pairs, groups
    ((2, 2, 9, 9), (3, 2, 3, 3), True, (1, 1, 1, 1), (3, 1, 1, 2, True)),      # pool dilation
    ((1, 2, 3, 5), (2, 2, 3, 3), True, (1, 0, 1, 1), (2, 1, 1, 2, False)),     # empty windows
    ((3, 8, 8), (4, 3, 3, 3), True, (1, "same", 1, 1), (2, None, 0, 1, False)),  # unbatched
]


def _unfused(x, w, b, conv, pool, relu_kernel):
    """The same computation as separate Functions (conv+ReLU fused in one, or not)."""
    y = conv2d_relu(x, w, b, *conv) if relu_kernel else F.relu(F.conv2d(x, w, b, *conv))
    return F.max_pool2d(y, *pool[:4], ceil_mode=pool[4])


def _run(fn, arrays, grad=None):
    """fn(*leaf tensors) and its input gradients for upstream `grad` (default: random)."""
    tensors = [None if a is None else fc.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    if grad is None:
        grad = np.random.default_rng(1).standard_normal(out.shape).astype(out.dtype)
    out.backward(grad)
    return [out.detach().numpy()] + [t.grad.numpy() for t in tensors if t is not None]


def _arrays(xs, ws, bias, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype),
            rng.standard_normal(ws[0]).astype(dtype) if bias else None]


def _assert_bit_identical(results_a, results_b):
    for a, b in zip(results_a, results_b):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xs,ws,bias,conv,pool", CASES)
def test_bit_identical_to_unfused(dtype, xs, ws, bias, conv, pool):
    arrays = _arrays(xs, ws, bias, dtype)
    fused = _run(lambda x, w, b: conv2d_relu_max_pool2d(x, w, b, *conv, *pool), arrays)
    for relu_kernel in (True, False):
        _assert_bit_identical(
            fused, _run(lambda x, w, b: _unfused(x, w, b, conv, pool, relu_kernel), arrays))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pool", [(2, 2, 0, 1, False), (3, 1, 1, 1, True), (2, 1, 0, 1, False)])
def test_nan_ties_and_zeros_bit_identical(dtype, pool):
    # a 1x1 identity conv makes the conv output the input: NaN (several in one window),
    # equal maxima, all-zero and all-negative windows, -0.0
    x = np.array([[np.nan, 1.0, 2.0, 2.0, -1.0, 0.0],
                  [3.0, np.nan, 2.0, 2.0, -0.0, -3.0],
                  [-1.0, -2.0, 0.0, 0.0, 5.0, 5.0],
                  [-3.0, -4.0, 0.0, -1.0, 5.0, 5.0],
                  [np.nan, np.nan, 7.0, 7.0, 0.0, -0.0],
                  [1.0, 1.0, 7.0, np.nan, -0.0, 0.0]], dtype=dtype)[None, None]
    arrays = [x, np.ones((1, 1, 1, 1), dtype=dtype), np.zeros(1, dtype=dtype)]
    conv = (1, 0, 1, 1)
    fused_fn = lambda x, w, b: conv2d_relu_max_pool2d(x, w, b, *conv, *pool)  # noqa: E731
    pooled = _run(fused_fn, arrays)[0]
    assert np.isnan(pooled).any() and (pooled == 0).any() and (pooled > 0).any()
    # inf and NaN upstream where the ReLU blocks: the mask selects, so they vanish
    blocked = ~(pooled > 0)
    grad = np.random.default_rng(2).standard_normal(pooled.shape).astype(dtype)
    grad[blocked] = np.where(np.arange(blocked.sum()) % 2, np.inf, np.nan)
    for upstream in (None, grad):
        fused = _run(fused_fn, arrays, upstream)
        assert np.isfinite(fused[1]).all()
        for relu_kernel in (True, False):
            _assert_bit_identical(fused, _run(
                lambda x, w, b: _unfused(x, w, b, conv, pool, relu_kernel), arrays, upstream))


def test_empty_window_case_matches_unfused():
    # pool dilation 2 on a 1-wide plane with padding 1: taps -1 and 1 both miss (-inf)
    arrays = _arrays((1, 1, 3, 3), (2, 1, 3, 3), True, np.float64)
    pool = (2, 1, 1, 2, False)
    fused = _run(lambda x, w, b: conv2d_relu_max_pool2d(x, w, b, 1, 0, 1, 1, *pool), arrays)
    assert np.isneginf(fused[0]).all()
    _assert_bit_identical(
        fused, _run(lambda x, w, b: _unfused(x, w, b, (1, 0, 1, 1), pool, True), arrays))


def test_keeps_no_conv_output_and_skips_data_gradient(monkeypatch):
    x = leaf(np.random.default_rng(5).standard_normal((2, 3, 12, 12)), requires_grad=False)
    w, b = leaf(np.ones((4, 3, 3, 3))), leaf(np.zeros(4))
    y = conv2d_relu_max_pool2d(x, w, b, 1, 1, 1, 1, 2)
    ctx = y.grad_fn   # the Context is the tape node
    kept = [v for v in list(vars(ctx).values()) + list(ctx.saved_tensors)
            if isinstance(v, np.ndarray)]
    assert not any(v.shape == (2, 4, 12, 12) for v in kept)

    def boom(*args, **kwargs):
        raise AssertionError("conv2d_backward_data must be skipped")
    monkeypatch.setattr(fc.ops, "conv2d_backward_data", boom)
    y.sum().backward()
    assert w.grad is not None and b.grad is not None and x.grad is None


@pytest.mark.parametrize("conv,pool", [
    ((1, 1, 1, 1), (2, 2, 0, 1, False)),
    ((1, 0, 1, 1), (2, 2, 0, 1, True)),
    ((2, 1, 1, 1), (3, 2, 1, 1, True)),
    ((1, 1, 1, 1), (3, 1, 1, 2, False)),
])
def test_gradcheck(conv, pool):
    rng = np.random.default_rng(6)
    x, w, b = leaf(rng.standard_normal((2, 2, 7, 6))), \
        leaf(rng.standard_normal((3, 2, 3, 3))), leaf(rng.standard_normal(3))
    assert gradcheck(lambda x, w, b: conv2d_relu_max_pool2d(x, w, b, *conv, *pool),
                     [x, w, b])


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    compare_with_torch(
        lambda x, w, b: conv2d_relu_max_pool2d(x, w, b, 1, 1, 1, 1, 3, 2, 1, 1, True),
        lambda x, w, b: tf.max_pool2d(torch.relu(tf.conv2d(x, w, b, 1, 1)), 3, 2, 1,
                                      ceil_mode=True),
        _arrays((2, 3, 9, 8), (4, 3, 3, 3), True, np.float64), dtype, scale=10)
