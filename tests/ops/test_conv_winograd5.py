"""Winograd F(2x2, 5x5) convolutions (csrc/conv/winograd*.{c,h}): forward, data and
weight gradients against the float64 references of test_conv, against PyTorch, against
the implicit-GEMM path on the same data, under each instruction set, and 1 vs 2 threads
bitwise.

Every case asserts first that the pass it checks really runs on Winograd, so a change of
the dispatch rule cannot leave these tests exercising the other algorithm unnoticed.
Shapes have odd output sizes (a clipped last tile row and column), paddings 0-2 (the
data gradient then reads padding 4-2), 'same' padding, batch 1, channel counts that are
not multiples of the micro-tile, and enough tiles for several blocks and weight-gradient
chunks.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import fastconv
from fastconv import _cpu, ops
from fastconv._caps import override

from .test_conv import (_make, assert_close, ref_backward_data, ref_backward_weight,
                        ref_forward, threads_back)  # noqa: F401 (fixture)
from .test_conv_winograd import _algorithm, assert_winograd_values

# (n, c_in, c_out, h, w, (kh, kw), stride, padding, dilation, groups)
CNN_BN_CONV2 = (4, 32, 64, 14, 14, (5, 5), 1, 2, 1, 1)  # models.cnn_bn's conv2, batch 4
CASES = [
    CNN_BN_CONV2,
    (2, 33, 37, 17, 19, (5, 5), 1, 2, 1, 1),        # odd sizes and channel counts
    (2, 40, 36, 18, 19, (5, 5), 1, 0, 1, 1),        # no padding: data gradient pads 4
    (1, 48, 32, 15, 17, (5, 5), 1, 1, 1, 1),        # batch 1, padding 1: data pads 3
    (1, 32, 48, 16, 18, (5, 5), 1, (2, 0), 1, 1),   # different paddings per axis
    (2, 36, 34, 17, 16, (5, 5), 1, "same", 1, 1),
    (3, 48, 40, 30, 29, (5, 5), 1, 2, 1, 1),        # several blocks and chunks
]
IDS = ["-".join(str(v).replace(" ", "") for v in c) for c in CASES]
PASSES = ("forward", "data", "weight")


def _all_passes(x, w, b, dy, kw, relu=False):
    return (ops.conv2d_forward(x, w, b, relu=relu, **kw),
            ops.conv2d_backward_data(dy, w, x.shape, **kw),
            ops.conv2d_backward_weight(x, dy, w.shape, **kw))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_winograd5_values(case, dtype):
    assert_winograd_values(case, dtype)


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512"])
@pytest.mark.parametrize("case", [CASES[1], CASES[-1]], ids=[IDS[1], IDS[-1]])
def test_winograd5_under_each_isa(case, isa):
    """Every build of the transforms (the AVX2 one also where AVX-512 is there)."""
    if isa not in ("generic",) and _cpu.capabilities()["cpu_isa"] == "generic":
        pytest.skip("CPU without AVX2")
    if isa == "avx512" and _cpu.capabilities()["cpu_isa"] != "avx512":
        pytest.skip("CPU without AVX-512")
    x, w, b, dy, gm, kw = _make(case, np.float32, seed=6)
    with override(isa=isa):
        for pass_ in PASSES:
            assert _algorithm(gm, pass_, np.float32) == "winograd", pass_
        got = _all_passes(x, w, b, dy, kw, relu=True)
    refs = (np.maximum(ref_forward(x, w, b, gm), 0), ref_backward_data(dy, w, gm),
            ref_backward_weight(x, dy, gm))
    for g, r in zip(got, refs):
        assert_close(g, r, np.float32)


def test_winograd5_float32_error_stays_small():
    """Winograd's float32 rounding on cnn_bn's conv2: max error / max |value| below 1e-5
    against float64 for every pass, at most a few times implicit GEMM's."""
    x, w, b, dy, gm, kw = _make(CNN_BN_CONV2, np.float32, seed=8)
    refs = (ref_forward(x, w, b, gm), ref_backward_data(dy, w, gm),
            ref_backward_weight(x, dy, gm))
    wino = _all_passes(x, w, b, dy, kw)
    with override(winograd=False):
        gemm = _all_passes(x, w, b, dy, kw)
    for p, r, a, c in zip(PASSES, refs, wino, gemm):
        scale = np.abs(r).max()
        err_wino = np.abs(a - r).max() / scale
        err_gemm = np.abs(c - r).max() / scale
        assert err_wino < 1e-5, (p, err_wino)
        assert err_wino < 20 * err_gemm + 1e-7, (p, err_wino, err_gemm)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_winograd5_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x, w, b, dy, gm, kw = _make(CNN_BN_CONV2, dtype, seed=5)
    tx = torch.from_numpy(x).requires_grad_()
    tw = torch.from_numpy(w).requires_grad_()
    tb = torch.from_numpy(b).requires_grad_()
    ty = F.conv2d(tx, tw, tb, 1, 2)
    ty.backward(torch.from_numpy(dy))
    for pass_ in PASSES:
        assert _algorithm(gm, pass_, dtype) == "winograd", pass_
    assert_close(ops.conv2d_forward(x, w, b, **kw), ty.detach().numpy(), dtype)
    assert_close(ops.conv2d_backward_data(dy, w, x.shape, **kw), tx.grad.numpy(), dtype)
    assert_close(ops.conv2d_backward_weight(x, dy, w.shape, **kw), tw.grad.numpy(), dtype)


@pytest.mark.parametrize("case", CASES[1:4], ids=IDS[1:4])
def test_winograd5_matches_gemm_path(case):
    x, w, b, dy, gm, kw = _make(case, np.float64, seed=3)
    wino = _all_passes(x, w, b, dy, kw, relu=True)
    with override(winograd=False):
        for pass_ in PASSES:
            assert _algorithm(gm, pass_, np.float64) == "implicit_gemm", pass_
        gemm = _all_passes(x, w, b, dy, kw, relu=True)
    for a, c in zip(wino, gemm):
        np.testing.assert_allclose(a, c, rtol=1e-10, atol=1e-11 * np.abs(c).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", [CNN_BN_CONV2, CASES[-1]], ids=[IDS[0], IDS[-1]])
def test_winograd5_threads_bitwise(case, dtype, threads_back):
    x, w, b, dy, gm, kw = _make(case, dtype, seed=4)
    assert _algorithm(gm, "weight", dtype) == "winograd"
    out = []
    for nt in (1, 2):
        fastconv.set_num_threads(nt)
        out.append(_all_passes(x, w, b, dy, kw, relu=True))
    for a, c in zip(out[0], out[1]):
        np.testing.assert_array_equal(a, c)


def _uses(ci, co, h, pass_="forward", stride=1, dil=1, groups=1, k=5, pad=2, n=2):
    oh = (h + 2 * pad - dil * (k - 1) - 1) // stride + 1
    geom = (n, ci, h, h, co, k, k, oh, oh, stride, stride, pad, pad, dil, dil, groups)
    return _cpu.conv2d_algorithm(geom, pass_, "float64") == "winograd"


def test_winograd5_dispatch_rule():
    with override(winograd=True):
        for pass_ in PASSES:
            assert _uses(32, 64, 14, pass_)        # cnn_bn's conv2
            assert _uses(64, 32, 14, pass_)
        assert _uses(32, 32, 8)
        assert _uses(32, 32, 12, pad=0)            # data gradient: padding 4
        assert not _uses(6, 16, 14, pad=0)         # LeNet's conv2: too few channels
        assert not _uses(16, 64, 14)
        assert _uses(256, 256, 14, n=1)
        assert not _uses(256, 288, 14, n=1)       # too many channels for a block of tiles
        assert not _uses(1, 32, 28)                # cnn_bn's conv1
        assert not _uses(32, 32, 14, stride=2)
        assert not _uses(32, 32, 14, dil=2)
        assert not _uses(32, 32, 14, groups=2)
        assert not _uses(32, 32, 14, pad=5)        # beyond 'same'-like padding
        assert not _uses(32, 32, 6)                # output below 8x8
        assert not _uses(32, 32, 14, k=7, pad=3)   # 7x7 has no Winograd path


def test_winograd_off_falls_back():
    """FASTCONV_WINOGRAD=0 (read at start) and the capability switch both keep 5x5 layers
    on implicit GEMM."""
    with override(winograd=False):
        for pass_ in PASSES:
            assert not _uses(32, 64, 14, pass_)
    code = ("import json; from fastconv import _cpu; g = (2, 32, 14, 14, 64, 5, 5, 14, 14,"
            " 1, 1, 2, 2, 1, 1, 1); print(json.dumps([_cpu.conv2d_algorithm(g, p) for p in"
            " ('forward', 'data', 'weight')]))")
    env = dict(os.environ, FASTCONV_WINOGRAD="0")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert "winograd" not in json.loads(out.strip().splitlines()[-1])
