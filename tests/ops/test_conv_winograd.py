"""Winograd F(2x2, 3x3) convolutions (csrc/conv/winograd*.{c,h}): values against the float64
references of test_conv, against the implicit-GEMM path on the same data, and 1 vs 2
threads bitwise.

Every case asserts first that the pass it checks really runs on Winograd, so a change of
the dispatch rule cannot leave these tests exercising the other algorithm unnoticed.
Shapes have odd output sizes (a clipped last tile row and column), paddings 0-2 (the
data gradient then reads padding 2-0), 'same' padding, channel counts that are not
multiples of the micro-tile, and enough tiles for several blocks and weight-gradient
chunks.
"""
import numpy as np
import pytest

import fastconv
from fastconv import _cpu, ops
from fastconv._caps import override

from .test_conv import (Geom, _make, assert_close, ref_backward_data, ref_backward_weight,
                        ref_forward, threads_back)  # noqa: F401 (fixture)

# (n, c_in, c_out, h, w, (kh, kw), stride, padding, dilation, groups)
CASES = [
    (2, 32, 32, 16, 16, (3, 3), 1, 1, 1, 1),
    (2, 33, 37, 17, 19, (3, 3), 1, 1, 1, 1),        # odd sizes and channel counts
    (2, 40, 36, 18, 19, (3, 3), 1, 0, 1, 1),        # no padding: data gradient pads 2
    (1, 48, 32, 17, 19, (3, 3), 1, 2, 1, 1),        # padding 2: data gradient pads 0
    (1, 32, 65, 16, 18, (3, 3), 1, (1, 0), 1, 1),   # different paddings per axis
    (2, 36, 34, 17, 16, (3, 3), 1, "same", 1, 1),
    (4, 48, 40, 30, 29, (3, 3), 1, 1, 1, 1),        # several blocks and chunks
]
IDS = ["-".join(str(v) for v in c) for c in CASES]


def _geom(gm: Geom):
    """The raw geometry tuple of fastconv._cpu for a test_conv Geom."""
    return (gm.n, gm.ci, gm.h, gm.w, gm.co, gm.kh, gm.kw, gm.oh, gm.ow, gm.sh, gm.sw,
            gm.top, gm.left, gm.dh, gm.dw, gm.g)


def _algorithm(gm: Geom, pass_, dtype):
    return _cpu.conv2d_algorithm(_geom(gm), pass_, dtype)


def assert_winograd_values(case, dtype):
    """All three passes of `case` run on Winograd and match the float64 references
    (forward with and without bias, with the fused ReLU)."""
    x, w, b, dy, gm, kw = _make(case, dtype, seed=2)
    for pass_ in ("forward", "data", "weight"):
        assert _algorithm(gm, pass_, dtype) == "winograd", pass_
    ref = ref_forward(x, w, b, gm)
    assert_close(ops.conv2d_forward(x, w, b, **kw), ref, dtype)
    assert_close(ops.conv2d_forward(x, w, None, **kw), ref_forward(x, w, None, gm), dtype)
    assert_close(ops.conv2d_forward(x, w, b, relu=True, **kw), np.maximum(ref, 0), dtype)
    assert_close(ops.conv2d_backward_data(dy, w, x.shape, **kw),
                 ref_backward_data(dy, w, gm), dtype)
    assert_close(ops.conv2d_backward_weight(x, dy, w.shape, **kw),
                 ref_backward_weight(x, dy, gm), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_winograd_values(case, dtype):
    assert_winograd_values(case, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_planes_run_every_pass_on_winograd(dtype):
    """Outputs of 8x8 to 15x15: forward, data and weight gradients on Winograd (the
    weight gradient too since it measured faster there), all three right."""
    case = (2, 32, 36, 9, 11, (3, 3), 1, 1, 1, 1)
    x, w, b, dy, gm, kw = _make(case, dtype, seed=5)
    assert _algorithm(gm, "forward", dtype) == "winograd"
    assert _algorithm(gm, "data", dtype) == "winograd"
    assert _algorithm(gm, "weight", dtype) == "winograd"
    assert_close(ops.conv2d_forward(x, w, b, relu=True, **kw),
                 np.maximum(ref_forward(x, w, b, gm), 0), dtype)
    assert_close(ops.conv2d_backward_data(dy, w, x.shape, **kw),
                 ref_backward_data(dy, w, gm), dtype)
    assert_close(ops.conv2d_backward_weight(x, dy, w.shape, **kw),
                 ref_backward_weight(x, dy, gm), dtype)


@pytest.mark.parametrize("case", CASES[:3], ids=IDS[:3])
def test_winograd_matches_gemm_path(case):
    x, w, b, dy, gm, kw = _make(case, np.float64, seed=3)

    def run():
        return (ops.conv2d_forward(x, w, b, relu=True, **kw),
                ops.conv2d_backward_data(dy, w, x.shape, **kw),
                ops.conv2d_backward_weight(x, dy, w.shape, **kw))

    wino = run()
    with override(winograd=False):
        for pass_ in ("forward", "data", "weight"):
            assert _algorithm(gm, pass_, np.float64) == "implicit_gemm", pass_
        gemm = run()
    for a, c in zip(wino, gemm):
        np.testing.assert_allclose(a, c, rtol=1e-10, atol=1e-11 * np.abs(c).max())


def test_winograd_dispatch_rule():
    def uses(ci, co, h, stride=1, dil=1, groups=1, k=3, pad=1):
        oh = (h + 2 * pad - dil * (k - 1) - 1) // stride + 1
        geom = (2, ci, h, h, co, k, k, oh, oh, stride, stride, pad, pad, dil, dil, groups)
        return _cpu.conv2d_algorithm(geom, "forward", "float64") == "winograd"

    assert uses(32, 32, 8)
    geom = (2, 32, 8, 8, 32, 3, 3, 8, 8, 1, 1, 1, 1, 1, 1, 1)
    assert _cpu.conv2d_algorithm(geom, "weight", "float64") == "winograd"  # from 8x8 too
    small = (2, 32, 7, 7, 32, 3, 3, 7, 7, 1, 1, 1, 1, 1, 1, 1)
    assert _cpu.conv2d_algorithm(small, "weight", "float64") == "implicit_gemm"
    assert uses(128, 128, 16)
    assert not uses(16, 32, 8)         # too few input channels
    assert not uses(32, 16, 8)         # too few output channels
    assert not uses(128, 160, 8)       # too many channels for a block of tiles
    assert not uses(32, 32, 8, stride=2)
    assert not uses(32, 32, 8, dil=2)
    assert not uses(32, 32, 8, groups=2)
    assert not uses(32, 32, 8, k=7, pad=3)  # 5x5 has its own rule (test_conv_winograd5)
    assert not uses(32, 32, 6)         # output below 8x8
    assert not uses(32, 32, 8, pad=3)  # only 'same'-like padding
    with pytest.raises(ValueError, match="pass_"):
        _cpu.conv2d_algorithm((2, 16, 8, 8, 16, 3, 3, 8, 8, 1, 1, 1, 1, 1, 1, 1), "fwd")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_winograd_threads_bitwise(dtype, threads_back):
    x, w, b, dy, gm, kw = _make(CASES[-1], dtype, seed=4)
    out = []
    for nt in (1, 2):
        fastconv.set_num_threads(nt)
        out.append((ops.conv2d_forward(x, w, b, relu=True, **kw),
                    ops.conv2d_backward_data(dy, w, x.shape, **kw),
                    ops.conv2d_backward_weight(x, dy, w.shape, **kw)))
    for a, c in zip(out[0], out[1]):
        np.testing.assert_array_equal(a, c)
