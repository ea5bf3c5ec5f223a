"""fastconv.ops.conv2d_*: native convolution kernels against float64 references.

Reference 1: loops over kernel taps on an explicitly padded float64 array with einsum
(written here, independent of the code under test). Reference 2: PyTorch, when
installed. Plus: identical results for 1, 2 and 3 threads, and bad input.
"""
import numpy as np
import pytest

import fastconv
from fastconv import ops
from fastconv import _threads

# ------------------------------------------------------------------ reference


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _pads(padding, k, d):
    """(top, bottom, left, right) as PyTorch pads: 'same' puts the odd pixel at the end."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        out = []
        for kk, dd in zip(k, d):
            total = dd * (kk - 1)
            out += [total // 2, total - total // 2]
        return tuple(out)
    ph, pw = _pair(padding)
    return (ph, ph, pw, pw)


class Geom:
    """Geometry of one case, computed independently of fastconv.ops."""

    def __init__(self, x_shape, w_shape, stride, padding, dilation, groups):
        self.n, self.ci, self.h, self.w = x_shape
        self.co, _, self.kh, self.kw = w_shape
        self.sh, self.sw = _pair(stride)
        self.dh, self.dw = _pair(dilation)
        self.g = groups
        self.top, self.bottom, self.left, self.right = _pads(
            padding, (self.kh, self.kw), (self.dh, self.dw))
        hp, wp = self.h + self.top + self.bottom, self.w + self.left + self.right
        self.oh = (hp - self.dh * (self.kh - 1) - 1) // self.sh + 1
        self.ow = (wp - self.dw * (self.kw - 1) - 1) // self.sw + 1

    def tap(self, ky, kx):
        """Slices of the padded input read by tap (ky, kx) for every output pixel."""
        y0, x0 = ky * self.dh, kx * self.dw
        return (slice(y0, y0 + self.sh * (self.oh - 1) + 1, self.sh),
                slice(x0, x0 + self.sw * (self.ow - 1) + 1, self.sw))

    def padded_shape(self):
        return (self.n, self.ci, self.h + self.top + self.bottom,
                self.w + self.left + self.right)


def ref_forward(x, w, b, gm: Geom):
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    xp = np.pad(x, ((0, 0), (0, 0), (gm.top, gm.bottom), (gm.left, gm.right)))
    cig, cog = gm.ci // gm.g, gm.co // gm.g
    xg = xp.reshape(gm.n, gm.g, cig, *xp.shape[2:])
    wg = w.reshape(gm.g, cog, cig, gm.kh, gm.kw)
    y = np.zeros((gm.n, gm.g, cog, gm.oh, gm.ow))
    for ky in range(gm.kh):
        for kx in range(gm.kw):
            sy, sx = gm.tap(ky, kx)
            y += np.einsum("ngchw,gdc->ngdhw", xg[:, :, :, sy, sx], wg[:, :, :, ky, kx])
    y = y.reshape(gm.n, gm.co, gm.oh, gm.ow)
    if b is not None:
        y += b.astype(np.float64)[None, :, None, None]
    return y


def ref_backward_data(dy, w, gm: Geom):
    dy = dy.astype(np.float64)
    w = w.astype(np.float64)
    cig, cog = gm.ci // gm.g, gm.co // gm.g
    dyg = dy.reshape(gm.n, gm.g, cog, gm.oh, gm.ow)
    wg = w.reshape(gm.g, cog, cig, gm.kh, gm.kw)
    dxp = np.zeros(gm.padded_shape()).reshape(gm.n, gm.g, cig, *gm.padded_shape()[2:])
    for ky in range(gm.kh):
        for kx in range(gm.kw):
            sy, sx = gm.tap(ky, kx)
            dxp[:, :, :, sy, sx] += np.einsum("ngdhw,gdc->ngchw", dyg, wg[:, :, :, ky, kx])
    dxp = dxp.reshape(gm.padded_shape())
    return dxp[:, :, gm.top:gm.top + gm.h, gm.left:gm.left + gm.w]


def ref_backward_weight(x, dy, gm: Geom):
    x = x.astype(np.float64)
    dy = dy.astype(np.float64)
    xp = np.pad(x, ((0, 0), (0, 0), (gm.top, gm.bottom), (gm.left, gm.right)))
    cig, cog = gm.ci // gm.g, gm.co // gm.g
    xg = xp.reshape(gm.n, gm.g, cig, *xp.shape[2:])
    dyg = dy.reshape(gm.n, gm.g, cog, gm.oh, gm.ow)
    dw = np.zeros((gm.g, cog, cig, gm.kh, gm.kw))
    for ky in range(gm.kh):
        for kx in range(gm.kw):
            sy, sx = gm.tap(ky, kx)
            dw[:, :, :, ky, kx] = np.einsum("ngdhw,ngchw->gdc", dyg, xg[:, :, :, sy, sx])
    return dw.reshape(gm.co, cig, gm.kh, gm.kw)


def assert_close(got, ref, dtype):
    """Elementwise |got - ref| <= rtol*|ref| + atol*max|ref| (rounding of sums)."""
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    atol = (1e-5 if dtype == np.float32 else 1e-11) * max(1.0, float(np.abs(ref).max()))
    assert got.dtype == dtype
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol)


@pytest.fixture
def threads_back():
    """Restore fastconv's thread setting after a test that changes it."""
    saved = _threads._requested
    yield
    _threads._requested = saved


# ------------------------------------------------------------------ cases

# (n, c_in, c_out, h, w, (kh, kw), stride, padding, dilation, groups)
CASES = [
    (1, 1, 1, 5, 5, (3, 3), 1, 0, 1, 1),                # batch 1, one channel
    (2, 3, 4, 7, 9, (3, 3), 1, 1, 1, 1),                # odd, non-square
    (2, 3, 5, 8, 11, (2, 3), (3, 4), 0, 1, 1),          # stride > kernel
    (1, 2, 3, 10, 9, (3, 3), (2, 1), (1, 0), (2, 1), 1),  # dilation, pair padding
    (2, 4, 6, 7, 8, (3, 3), 1, 1, 1, 2),                # groups
    (2, 5, 5, 6, 7, (3, 3), 1, 1, 1, 5),                # depthwise
    (1, 3, 6, 6, 6, (3, 3), 2, 1, 1, 3),                # depthwise x2, stride 2
    (2, 3, 4, 7, 8, (4, 2), 1, "same", 1, 1),           # 'same', even kernels: asymmetric
    (1, 2, 3, 9, 8, (3, 4), 1, "same", (2, 3), 1),      # 'same' with dilation
    (2, 2, 3, 6, 7, (3, 3), 1, "valid", 1, 1),
    (2, 6, 4, 5, 5, (1, 1), 1, 0, 1, 1),                # 1x1 fast path
    (1, 4, 3, 6, 6, (1, 1), 2, 0, 1, 1),                # 1x1 stride 2
    (1, 4, 3, 5, 6, (1, 1), 1, 1, 1, 1),                # 1x1 with padding
    (1, 2, 2, 4, 5, (3, 3), 1, 3, 1, 1),                # padding beyond the kernel's reach
    (2, 3, 2, 5, 6, (5, 5), 1, 2, 1, 1),                # LeNet-like
    (1, 7, 20, 6, 5, (3, 3), 1, 1, 1, 1),               # c_out not a multiple of the tile
    (3, 1, 1, 1, 1, (1, 1), 1, 0, 1, 1),                # 1x1 image
    (1, 1, 2, 4, 4, (4, 4), 1, 0, 1, 1),                # kernel == input: 1x1 output
    (2, 2, 3, 3, 3, (3, 3), 2, 2, 1, 1),                # stride 2, padding 2
    (1, 4, 4, 9, 10, (3, 3), (2, 3), (1, 2), (2, 2), 2),  # stride + dilation + groups
    (1, 2, 3, 5, 5, (2, 2), 1, (0, 3), 1, 1),           # wide padding on one axis
    (1, 32, 8, 5, 6, (3, 3), 1, 1, 1, 1),               # depth 288 > KC
    (1, 3, 150, 4, 4, (3, 3), 1, 1, 1, 1),              # c_out 150 > MC
    (1, 2, 3, 40, 3, (3, 3), (1, 1), (1, 1), 1, 1),     # tall and narrow
    (1, 2, 3, 5, 4, (2, 3), 1, (30, 40), (60, 40), 1),  # dilation and padding >> input
]

IDS = ["-".join(str(v).replace(" ", "") for v in c) for c in CASES]


def _make(case, dtype, seed=0):
    n, ci, co, h, w, k, s, p, d, g = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, ci, h, w)).astype(dtype)
    wt = rng.standard_normal((co, ci // g) + tuple(k)).astype(dtype)
    b = rng.standard_normal(co).astype(dtype)
    gm = Geom(x.shape, wt.shape, s, p, d, g)
    dy = rng.standard_normal((n, co, gm.oh, gm.ow)).astype(dtype)
    return x, wt, b, dy, gm, dict(stride=s, padding=p, dilation=d, groups=g)


# ------------------------------------------------------------------ values

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward(case, dtype):
    x, w, b, _, gm, kw = _make(case, dtype)
    ref = ref_forward(x, w, b, gm)
    assert_close(ops.conv2d_forward(x, w, b, **kw), ref, dtype)
    assert_close(ops.conv2d_forward(x, w, None, **kw), ref_forward(x, w, None, gm), dtype)
    assert_close(ops.conv2d_forward(x, w, b, relu=True, **kw), np.maximum(ref, 0), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_backward_data(case, dtype):
    x, w, _, dy, gm, kw = _make(case, dtype)
    got = ops.conv2d_backward_data(dy, w, x.shape, **kw)
    assert_close(got, ref_backward_data(dy, w, gm), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_backward_weight(case, dtype):
    x, w, _, dy, gm, kw = _make(case, dtype)
    got = ops.conv2d_backward_weight(x, dy, w.shape, **kw)
    assert_close(got, ref_backward_weight(x, dy, gm), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_bias(dtype):
    rng = np.random.default_rng(4)
    for shape in [(1, 1, 1, 1), (3, 5, 7, 9), (2, 4, 1, 13), (64, 6, 28, 28)]:
        dy = rng.standard_normal(shape).astype(dtype)
        got = ops.conv2d_backward_bias(dy)
        assert_close(got, dy.astype(np.float64).sum(axis=(0, 2, 3)), dtype)


def test_larger_batch_with_many_chunks():
    """LeNet conv1-shaped weight gradient: partials over image chunks, reduced in order."""
    x, w, b, dy, gm, kw = _make((20, 1, 6, 12, 12, (5, 5), 1, 2, 1, 1), np.float32)
    assert_close(ops.conv2d_backward_weight(x, dy, w.shape, **kw),
                 ref_backward_weight(x, dy, gm), np.float32)
    assert_close(ops.conv2d_forward(x, w, b, **kw), ref_forward(x, w, b, gm), np.float32)
    assert_close(ops.conv2d_backward_data(dy, w, x.shape, **kw),
                 ref_backward_data(dy, w, gm), np.float32)


def test_relu_keeps_nan_and_zeroes_negatives():
    x = np.zeros((1, 1, 3, 3), np.float32)
    x[0, 0, 1, 1] = np.nan
    w = np.ones((2, 1, 1, 1), np.float32)
    b = np.array([-1.0, 2.0], np.float32)
    y = ops.conv2d_forward(x, w, b, relu=True)
    assert np.isnan(y[0, :, 1, 1]).all()
    y[0, :, 1, 1] = 0
    assert np.array_equal(y[0, 0], np.zeros((3, 3), np.float32))
    assert np.array_equal(y[0, 1][np.arange(3) != 1], np.full((2, 3), 2.0, np.float32))


@pytest.mark.parametrize("case", [CASES[1], CASES[2], CASES[8], CASES[14]],
                         ids=[IDS[1], IDS[2], IDS[8], IDS[14]])
def test_nan_and_inf_stay_in_their_receptive_field(case):
    """Work on padding or on columns that are computed and dropped never leaks NaN/inf."""
    x, w, b, dy, gm, kw = _make(case, np.float64)
    x[0, 0, 1, -1] = np.nan
    x[-1, -1, -1, 0] = np.inf
    dy[0, 0, 0, -1] = np.nan
    with np.errstate(invalid="ignore"):
        checks = [(ops.conv2d_forward(x, w, b, **kw), ref_forward(x, w, b, gm)),
                  (ops.conv2d_backward_data(dy, w, x.shape, **kw),
                   ref_backward_data(dy, w, gm)),
                  (ops.conv2d_backward_weight(x, dy, w.shape, **kw),
                   ref_backward_weight(x, dy, gm))]
    for got, ref in checks:
        assert np.array_equal(np.isnan(got), np.isnan(ref))
        assert np.array_equal(np.isinf(got), np.isinf(ref))
        fin = np.isfinite(ref)
        assert_close(got[fin], ref[fin], np.float64)


def test_non_contiguous_inputs_and_out_buffers():
    x, w, b, dy, gm, kw = _make((2, 3, 4, 7, 9, (3, 3), 1, 1, 1, 1), np.float64)
    xt = np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)  # F-order planes
    wt = np.asfortranarray(w)
    dyt = dy[:, ::-1][:, ::-1]
    assert not xt.flags.c_contiguous and not wt.flags.c_contiguous
    out = np.empty((2, 4, gm.oh, gm.ow))
    got = ops.conv2d_forward(xt, wt, b[::-1][::-1], out=out, **kw)
    assert got is out
    assert_close(out, ref_forward(x, w, b, gm), np.float64)
    dx = np.full(x.shape, np.nan)
    assert ops.conv2d_backward_data(dyt, wt, x.shape, out=dx, **kw) is dx
    assert_close(dx, ref_backward_data(dy, w, gm), np.float64)
    dw = np.full(w.shape, np.nan)
    assert ops.conv2d_backward_weight(xt, dyt, w.shape, out=dw, **kw) is dw
    assert_close(dw, ref_backward_weight(x, dy, gm), np.float64)
    db = np.full(4, np.nan)
    assert ops.conv2d_backward_bias(dyt, out=db) is db
    assert_close(db, dy.sum(axis=(0, 2, 3)), np.float64)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", [CASES[1], CASES[2], CASES[5], CASES[7]],
                         ids=[IDS[1], IDS[2], IDS[5], IDS[7]])
def test_matches_torch(case):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x, w, b, dy, gm, kw = _make(case, np.float64, seed=5)
    tx = torch.from_numpy(x).requires_grad_()
    tw = torch.from_numpy(w).requires_grad_()
    tb = torch.from_numpy(b).requires_grad_()
    ty = F.conv2d(tx, tw, tb, kw["stride"], kw["padding"], kw["dilation"], kw["groups"])
    ty.backward(torch.from_numpy(dy))
    assert_close(ops.conv2d_forward(x, w, b, **kw), ty.detach().numpy(), np.float64)
    assert_close(ops.conv2d_backward_data(dy, w, x.shape, **kw), tx.grad.numpy(), np.float64)
    assert_close(ops.conv2d_backward_weight(x, dy, w.shape, **kw), tw.grad.numpy(),
                 np.float64)
    assert_close(ops.conv2d_backward_bias(dy), tb.grad.numpy(), np.float64)


# ------------------------------------------------------------------ threads

# big enough that every op really runs on several threads
THREAD_CASES = [
    (4, 8, 16, 12, 12, (3, 3), 1, 1, 1, 1),
    (1, 16, 16, 16, 16, (3, 3), 1, 1, 1, 1),     # batch 1: split over output pixels
    (3, 8, 12, 15, 13, (3, 3), 2, 1, 1, 1),      # stride 2: col2im data gradient
    (8, 1, 6, 20, 20, (5, 5), 1, 2, 1, 1),       # LeNet conv1: chunked weight gradient
    (2, 12, 12, 14, 14, (3, 3), 1, 1, 1, 12),    # depthwise
    (2, 32, 20, 10, 10, (1, 1), 1, 0, 1, 1),     # 1x1 fast path
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", THREAD_CASES,
                         ids=["-".join(str(v).replace(" ", "") for v in c)
                              for c in THREAD_CASES])
def test_same_result_for_any_thread_count(case, dtype, threads_back):
    x, w, b, dy, gm, kw = _make(case, dtype, seed=9)
    results = []
    for nt in (1, 2, 3):
        fastconv.set_num_threads(nt)
        results.append((ops.conv2d_forward(x, w, b, relu=True, **kw),
                        ops.conv2d_backward_data(dy, w, x.shape, **kw),
                        ops.conv2d_backward_weight(x, dy, w.shape, **kw),
                        ops.conv2d_backward_bias(dy)))
    for other in results[1:]:
        for a, c in zip(results[0], other):
            assert np.array_equal(a, c)
    assert_close(results[0][2], ref_backward_weight(x, dy, gm), dtype)


def test_concurrent_python_threads():
    from concurrent.futures import ThreadPoolExecutor
    x, w, b, dy, gm, kw = _make(THREAD_CASES[0], np.float32, seed=3)
    ref = ops.conv2d_forward(x, w, b, **kw)
    refw = ops.conv2d_backward_weight(x, dy, w.shape, **kw)

    def work(_):
        return (ops.conv2d_forward(x, w, b, **kw),
                ops.conv2d_backward_weight(x, dy, w.shape, **kw))

    with ThreadPoolExecutor(4) as pool:
        for y, dw in pool.map(work, range(12)):
            assert np.array_equal(y, ref) and np.array_equal(dw, refw)


# ------------------------------------------------------------------ bad input

def _x(shape=(2, 4, 8, 8), dtype=np.float32):
    return np.ones(shape, dtype)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: ops.conv2d_forward(_x((4, 8, 8)), _x((3, 4, 3, 3))), ValueError, "input"),
    (lambda: ops.conv2d_forward(_x(), _x((3, 4, 3))), ValueError, "weight"),
    (lambda: ops.conv2d_forward(_x(), _x((3, 3, 3, 3))), ValueError, "input channels"),
    (lambda: ops.conv2d_forward(_x(), _x((3, 2, 3, 3)), groups=2), ValueError, "groups"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 3, 3)), groups=3), ValueError, "groups"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 3, 3)), groups=0), ValueError, "groups"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 9, 3))), ValueError, "larger"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 5, 5)), dilation=3), ValueError, "larger"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 3, 3)), stride=0), ValueError, "stride"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 3, 3)), stride=(1, -1)), ValueError,
     "stride"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 3, 3)), dilation=0), ValueError,
     "dilation"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 3, 3)), padding=-1), ValueError, "padding"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 3, 3)), padding="full"), ValueError,
     "padding"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 3, 3)), padding=(1, 2, 3)), TypeError,
     "padding"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 3, 3)), stride=2, padding="same"),
     ValueError, "same"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 3, 3)), stride=1.5), TypeError, "stride"),
    (lambda: ops.conv2d_forward(_x(dtype=np.int32), _x((4, 4, 3, 3))), TypeError, "input"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 3, 3), np.float64)), TypeError, "dtype"),
    (lambda: ops.conv2d_forward(_x((0, 4, 8, 8)), _x((4, 4, 3, 3))), ValueError, "empty"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 3, 3)), np.ones(3, np.float32)), ValueError,
     "bias"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 3, 3)), np.ones(4, np.float64)), TypeError,
     "bias"),
    (lambda: ops.conv2d_forward(_x(), _x((4, 4, 3, 3)), out=_x((2, 4, 8, 8))), ValueError,
     "out"),
    (lambda: ops.conv2d_backward_data(_x((2, 4, 5, 5)), _x((4, 4, 3, 3)), (2, 4, 8, 8)),
     ValueError, "grad_output"),
    (lambda: ops.conv2d_backward_data(_x((2, 4, 6, 6)), _x((4, 4, 3, 3)), (2, 4, 8)),
     ValueError, "input"),
    (lambda: ops.conv2d_backward_weight(_x(), _x((2, 4, 6, 7)), (4, 4, 3, 3)), ValueError,
     "grad_output"),
    (lambda: ops.conv2d_backward_weight(_x(), _x((2, 4, 6, 6), np.float64), (4, 4, 3, 3)),
     TypeError, "dtype"),
    (lambda: ops.conv2d_backward_bias(_x((2, 4, 6))), ValueError, "grad_output"),
])
def test_bad_input_raises_naming_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_out_overlapping_the_input():
    """An out= buffer that aliases the input still gets the convolution of the old input."""
    x, w, b, _, gm, kw = _make((2, 4, 4, 6, 6, (3, 3), 1, 1, 1, 1), np.float64)
    ref = ref_forward(x, w, b, gm)
    ops.conv2d_forward(x, w, b, out=x, **kw)
    assert_close(x, ref, np.float64)
