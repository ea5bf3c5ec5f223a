"""The direct float32 kernels (conv_direct.c: the forward with c_out a multiple of 16,
stride 1 or 2, zero padding, and its channel-blocked stride-2 3x3 variant; the weight
gradient of unpadded stride-1 3x3 and 5x5 kernels with c_out 16 or 32, of padded ones with
c_out 16 and more than 32 taps, and of stride-2
3x3 kernels with c_in a multiple of 16) against the float64 generic reference and against
the GEMM path (the direct kernels switched off in process); and the few-tap direct weight
gradient (AVX-512 and AVX2) against the reference."""
import contextlib

import numpy as np
import pytest

import fastconv
from fastconv import _cpu, ops
from fastconv._caps import isa_available, override

from ._helpers import generic_backend

# the direct kernels run on AVX-512 only; elsewhere these tests check the other paths
ON_AVX512 = _cpu.capabilities()["isa"] == "avx512"


def _algorithm(x_shape, w_shape, pass_, stride=1, padding=0):
    """The algorithm the chooser picks for this float32 layer now."""
    geom, _ = ops.conv2d_geometry(x_shape, w_shape, stride, padding)
    return _cpu.conv2d_algorithm(geom, pass_, "float32")


def _gemm_path():
    """The direct kernels off for the block (the algorithms they compete with run)."""
    return override(direct="off")

# LeNet's conv2; odd output rows and rows longer than one 12-pixel block; a 3x4 kernel
# on a 1-row output; 32 channels; taps below the 3x3 minimum (GEMM path, same answers)
CASES = [((3, 6, 14, 14), (16, 6, 5, 5)), ((2, 3, 9, 30), (32, 3, 3, 3)),
         ((1, 2, 3, 17), (16, 2, 3, 4)), ((2, 1, 7, 13), (32, 1, 3, 5)),
         ((2, 4, 6, 6), (16, 4, 2, 2))]


def _arrays(xs, ws, rng):
    x = rng.standard_normal(xs).astype(np.float32)
    x.reshape(-1)[::17] = np.nan
    return x, rng.standard_normal(ws).astype(np.float32), \
        rng.standard_normal(ws[0]).astype(np.float32)


def _reference(x, w, b, relu, stride=1, padding=0):
    with generic_backend():
        return ops.conv2d_forward(*(None if a is None else a.astype(np.float64)
                                    for a in (x, w, b)), stride, padding, relu=relu)


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("xs,ws", CASES)
def test_matches_float64_reference_and_gemm_path(rng, xs, ws, bias, relu):
    x, w, b = _arrays(xs, ws, rng)
    b = b if bias else None
    y = ops.conv2d_forward(x, w, b, relu=relu)
    ref = _reference(x, w, b, relu)
    assert y.dtype == np.float32 and y.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(y), np.isnan(ref))
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-4)
    if relu:
        assert (y[~np.isnan(y)] >= 0).all()
    if ON_AVX512:
        assert _algorithm(xs, ws, "forward") in ("direct", "direct_rows", "implicit_gemm")
    with _gemm_path():
        gemm = ops.conv2d_forward(x, w, b, relu=relu)
    np.testing.assert_allclose(y, gemm, rtol=1e-5, atol=1e-4)


def test_zero_sums_with_negative_zero_bias_match_the_gemm_path():
    # all-zero products plus a -0 bias, through the ReLU: the same bytes as the GEMM path
    x = np.zeros((1, 1, 5, 5), np.float32)
    w = np.ones((16, 1, 3, 3), np.float32)
    b = np.full(16, -0.0, np.float32)
    y = ops.conv2d_forward(x, w, b, relu=True)
    with _gemm_path():
        assert y.tobytes() == ops.conv2d_forward(x, w, b, relu=True).tobytes()


# 5x5 and 3x3 (direct), 32 channels, odd sizes, one image; 3x4 and 2x2 use the GEMM path
WGRAD_CASES = CASES + [((1, 3, 7, 9), (32, 3, 5, 5)), ((5, 2, 5, 4), (16, 2, 3, 3))]


@pytest.mark.parametrize("xs,ws", WGRAD_CASES)
def test_weight_gradient_matches_float64_reference_and_gemm_path(rng, xs, ws):
    x = rng.standard_normal(xs).astype(np.float32)
    out_shape = (xs[0], ws[0], xs[2] - ws[2] + 1, xs[3] - ws[3] + 1)
    dy = rng.standard_normal(out_shape).astype(np.float32)
    dw = ops.conv2d_backward_weight(x, dy, ws)
    with generic_backend():
        ref = ops.conv2d_backward_weight(x.astype(np.float64), dy.astype(np.float64), ws)
    assert dw.dtype == np.float32 and dw.shape == ws
    np.testing.assert_allclose(dw, ref, rtol=1e-5, atol=1e-4)
    with _gemm_path():
        np.testing.assert_allclose(dw, ops.conv2d_backward_weight(x, dy, ws), rtol=1e-5,
                                   atol=1e-4)


# Padded stride-1 weight gradients with 16 output channels and more than 32 taps run
# directly over a zero-padded copy of the input (ResNet-20's 16->16 layers): 'same'
# padding, padding on one side only, padding smaller than 'same', 5x5, odd sizes, one
# image, rows longer than one 12-pixel block; the last two stay on their kernels
# (32 output channels: GEMM path; 27 taps: few-tap kernel).
WGRAD_PADDED_CASES = [((3, 16, 10, 10), (16, 16, 3, 3), (1, 1)),
                      ((2, 4, 7, 30), (16, 4, 3, 3), (1, 0)),
                      ((1, 5, 9, 14), (16, 5, 5, 5), (1, 2)),
                      ((2, 2, 11, 6), (16, 2, 5, 5), (2, 2)),
                      ((2, 16, 6, 6), (32, 16, 3, 3), (1, 1)),
                      ((2, 3, 9, 9), (16, 3, 3, 3), (1, 1))]
WGRAD_PADDED_ALGOS = ["direct"] * 4 + ["implicit_gemm", "direct_few_taps"]


@pytest.mark.parametrize("case,algo", list(zip(WGRAD_PADDED_CASES, WGRAD_PADDED_ALGOS)))
def test_padded_weight_gradient_matches_reference_gemm_path_and_threads(
        rng, restore_threads, case, algo):
    xs, ws, pad = case
    x = rng.standard_normal(xs).astype(np.float32)
    out_shape = (xs[0], ws[0], xs[2] + 2 * pad[0] - ws[2] + 1, xs[3] + 2 * pad[1] - ws[3] + 1)
    dy = rng.standard_normal(out_shape).astype(np.float32)
    if ON_AVX512:
        assert _algorithm(xs, ws, "weight", 1, pad) == algo
    outs = []
    for nt in (1, 2):
        fastconv.set_num_threads(nt)
        outs.append(ops.conv2d_backward_weight(x, dy, ws, 1, pad))
    assert outs[0].tobytes() == outs[1].tobytes()
    with generic_backend():
        ref = ops.conv2d_backward_weight(x.astype(np.float64), dy.astype(np.float64), ws, 1,
                                         pad)
    assert outs[0].dtype == np.float32 and outs[0].shape == ws
    np.testing.assert_allclose(outs[0], ref, rtol=1e-5, atol=1e-4)
    with _gemm_path():
        np.testing.assert_allclose(outs[0], ops.conv2d_backward_weight(x, dy, ws, 1, pad),
                                   rtol=1e-5, atol=1e-4)


def test_padded_weight_gradient_propagates_nan(rng):
    # a NaN input pixel reaches every tap of its channel that reads it (all 9 here)
    x = rng.standard_normal((2, 2, 6, 6)).astype(np.float32)
    x[1, 1, 2, 3] = np.nan
    dw = ops.conv2d_backward_weight(x, np.ones((2, 16, 6, 6), np.float32), (16, 2, 3, 3),
                                    1, 1)
    assert np.isnan(dw[:, 1]).all() and not np.isnan(dw[:, 0]).any()


def test_weight_gradient_propagates_nan(rng):
    x = rng.standard_normal((2, 2, 6, 6)).astype(np.float32)
    x[1, 0, 2, 3] = np.nan
    dw = ops.conv2d_backward_weight(x, np.ones((2, 16, 4, 4), np.float32), (16, 2, 3, 3))
    assert np.isnan(dw[:, 0]).all() and not np.isnan(dw[:, 1]).any()


# Few taps (K = c_in * kh * kw <= 32, ow >= 8): the few-tap direct weight gradient, on
# AVX-512 (16 lanes, blocks of 3 channels x 5 taps) and AVX2 (8 lanes, 2 x 5):
# LeNet's conv1, widths around the 16-lane tail, channel and tap counts that leave
# partial blocks
FEW_TAP_CASES = [((3, 1, 28, 28), (6, 1, 5, 5), 2), ((2, 1, 9, 17), (4, 1, 3, 3), 1),
                 ((2, 2, 12, 33), (7, 2, 3, 3), 0), ((1, 1, 10, 12), (1, 1, 3, 7), 1),
                 ((2, 3, 16, 24), (5, 3, 3, 3), 1)]


@pytest.mark.parametrize("isa", ["avx512", "avx2"])
def test_few_tap_weight_gradient_matches_float64_reference(isa):
    if not isa_available(isa):
        pytest.skip("this CPU does not run %s" % isa)
    rng = np.random.default_rng(4)
    with override(isa=isa):
        for xs, ws, pad in FEW_TAP_CASES:
            assert _algorithm(xs, ws, "weight", 1, pad) == "direct_few_taps"
            x = rng.standard_normal(xs).astype(np.float32)
            oh, ow = xs[2] + 2 * pad - ws[2] + 1, xs[3] + 2 * pad - ws[3] + 1
            dy = rng.standard_normal((xs[0], ws[0], oh, ow)).astype(np.float32)
            dw = ops.conv2d_backward_weight(x, dy, ws, 1, pad)
            with generic_backend():
                ref = ops.conv2d_backward_weight(x.astype(np.float64),
                                                 dy.astype(np.float64), ws, 1, pad)
            assert np.abs(dw - ref).max() / np.abs(ref).max() < 1e-5, (xs, ws, pad)


# the fused ReLU + 2x2 pool of the direct forward: odd conv output rows and columns
# (floor mode drops them), a column run split 12 + 1, a 2x2 conv output
POOL_CASES = CASES[:2] + [((1, 2, 5, 17), (16, 2, 3, 4)), ((2, 4, 8, 15), (16, 4, 3, 3)),
                          ((1, 2, 4, 4), (32, 2, 3, 3)), ((2, 3, 11, 30), (16, 3, 3, 3))]


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("xs,ws", POOL_CASES)
def test_fused_relu_pool_is_bit_identical_to_separate_calls(rng, xs, ws, bias):
    x, w, b = _arrays(xs, ws, rng)
    b = b if bias else None
    pooled, pos = ops.conv2d_relu_max_pool2x2_forward(x, w, b)
    ref, ref_pos = ops.max_pool2x2_forward(ops.conv2d_forward(x, w, b, relu=True))
    assert pooled.dtype == np.float32 and pos.dtype == np.uint8
    assert pooled.tobytes() == ref.tobytes()
    np.testing.assert_array_equal(pos, ref_pos)
    with generic_backend():   # no fused kernel there: the two calls, in float64
        g64, gpos = ops.conv2d_relu_max_pool2x2_forward(
            *(None if a is None else a.astype(np.float64) for a in (x, w, b)))
    np.testing.assert_allclose(pooled, g64, rtol=1e-5, atol=1e-4)


# few output channels (<= 6): the row-vectorised direct forward, with padding; LeNet's
# conv1, one and two 16-column vectors, odd rows, several input channels, 1 channel out;
# then 7 to 16 channels with <= 32 taps, run in groups of <= 6 (4 + 3, 6 + 5 + 5:
# ResNet-20's conv1, 6 + 5 with an odd row count)
ROW_CASES = [((3, 1, 28, 28), (6, 1, 5, 5), 2), ((2, 2, 9, 13), (4, 2, 3, 3), 1),
             ((1, 3, 7, 20), (5, 3, 3, 3), 0), ((2, 1, 6, 31), (1, 1, 2, 3), (1, 2)),
             ((1, 2, 5, 5), (3, 2, 3, 3), 2), ((2, 1, 9, 12), (7, 1, 5, 5), 2),
             ((3, 3, 32, 32), (16, 3, 3, 3), 1), ((1, 2, 11, 17), (11, 2, 3, 4), (2, 1))]


def test_row_vectorised_forward_covers_few_channels_or_few_taps():
    if not ON_AVX512:
        pytest.skip("the direct kernels run only where the ISA is avx512")
    for xs, ws, pad in ROW_CASES[5:]:
        assert _algorithm(xs, ws, "forward", 1, pad) == "direct_rows"
    # 32 channels (cnn_bn's conv1: the GEMM path is as fast), 16 with 36 taps
    assert _algorithm((2, 1, 28, 28), (32, 1, 5, 5), "forward", 1, 2) == "implicit_gemm"
    assert _algorithm((2, 4, 12, 12), (16, 4, 3, 3), "forward", 1, 1) != "direct_rows"


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("xs,ws,pad", ROW_CASES)
def test_row_vectorised_forward_matches_reference_and_gemm_path(rng, xs, ws, pad, bias,
                                                                relu):
    x, w, b = _arrays(xs, ws, rng)
    b = b if bias else None
    y = ops.conv2d_forward(x, w, b, 1, pad, relu=relu)
    with generic_backend():
        ref = ops.conv2d_forward(*(None if a is None else a.astype(np.float64)
                                   for a in (x, w, b)), 1, pad, relu=relu)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(ref))
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-4)
    pooled, pos = ops.conv2d_relu_max_pool2x2_forward(x, w, b, 1, pad)
    ref_pooled, ref_pos = ops.max_pool2x2_forward(ops.conv2d_forward(x, w, b, 1, pad,
                                                                     relu=True))
    assert pooled.tobytes() == ref_pooled.tobytes()
    np.testing.assert_array_equal(pos, ref_pos)
    with _gemm_path():
        np.testing.assert_allclose(y, ops.conv2d_forward(x, w, b, 1, pad, relu=relu),
                                   rtol=1e-5, atol=1e-4)


# stride 2 (the direct kernel by default) and padded stride 1 (direct="force":
# the GEMM path is faster there): odd sizes, pad 1 and 2, rows-only padding, asymmetric
# 'same' padding of an even kernel, 5x5 (the generic tap loop), c_out 16 to 256, short
# column runs (4 rows at a time), no padding with an unread last column, a 1x1 output
PAD_CASES = [((2, 5, 9, 13), (16, 5, 3, 3), 2, 1), ((1, 4, 11, 7), (32, 4, 3, 3), 2, 2),
             ((2, 3, 10, 12), (48, 3, 5, 5), 2, 2), ((2, 6, 13, 17), (256, 6, 3, 3), 2, 1),
             ((1, 2, 12, 30), (16, 2, 3, 3), 2, 0), ((2, 3, 9, 9), (16, 3, 3, 3), 2, (2, 0)),
             ((1, 2, 3, 3), (32, 2, 3, 3), 2, 1), ((2, 5, 9, 13), (16, 5, 3, 3), 1, 1),
             ((1, 4, 11, 7), (32, 4, 5, 5), 1, 2), ((1, 3, 8, 10), (16, 3, 4, 4), 1, "same"),
             ((2, 3, 29, 27), (48, 3, 3, 3), 1, (0, 1))]


def _forced(stride):
    """Run the direct kernel for padded stride-1 layers too (the default for stride 2)."""
    return override(direct="force") if stride == 1 else contextlib.nullcontext()


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("xs,ws,stride,pad", PAD_CASES)
def test_padded_and_strided_forward_matches_reference_and_gemm_path(rng, xs, ws, stride,
                                                                   pad, bias, relu):
    x, w, b = _arrays(xs, ws, rng)
    b = b if bias else None
    with _forced(stride):
        if ON_AVX512:
            assert _algorithm(xs, ws, "forward", stride, pad).startswith("direct")
        y = ops.conv2d_forward(x, w, b, stride, pad, relu=relu)
    ref = _reference(x, w, b, relu, stride, pad)
    assert y.dtype == np.float32 and y.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(y), np.isnan(ref))
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-4)
    with _gemm_path():
        gemm = ops.conv2d_forward(x, w, b, stride, pad, relu=relu)
    np.testing.assert_allclose(y, gemm, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("xs,ws,stride,pad", [PAD_CASES[3], PAD_CASES[7]])
def test_padded_and_strided_forward_is_bit_identical_for_1_2_3_threads(restore_threads, xs,
                                                                       ws, stride, pad):
    # 5 images: tasks (image, channel block) split unevenly, so a thread's padded copy
    # changes image mid-run
    x, w, b = _arrays((5,) + xs[1:], ws, np.random.default_rng(3))
    outs = []
    with _forced(stride):
        for nt in (1, 2, 3):
            fastconv.set_num_threads(nt)
            outs.append(ops.conv2d_forward(x, w, b, stride, pad, relu=True).tobytes())
    assert outs[0] == outs[1] == outs[2]


def test_stride_2_runs_directly_and_stride_1_padding_does_not(rng):
    if not ON_AVX512:
        pytest.skip("the direct kernels run only where the ISA is avx512")
    # the direct kernel and the GEMM path round differently on these sums (no NaN here)
    x, w, b = (rng.standard_normal(s).astype(np.float32)
               for s in ((2, 64, 9, 9), (32, 64, 3, 3), (32,)))
    # (stride, runs directly by default, the direct kernel, the algorithm it competes with)
    for stride, direct, kernel, other in ((2, True, "direct_blocked_s2", "implicit_gemm"),
                                          (1, False, "direct", "winograd")):
        y = ops.conv2d_forward(x, w, b, stride, 1).tobytes()
        with override(direct="force"):
            assert _algorithm(x.shape, w.shape, "forward", stride, 1) == kernel
            forced = ops.conv2d_forward(x, w, b, stride, 1).tobytes()
        with _gemm_path():
            assert _algorithm(x.shape, w.shape, "forward", stride, 1) == other
            gemm = ops.conv2d_forward(x, w, b, stride, 1).tobytes()
        assert _algorithm(x.shape, w.shape, "forward", stride, 1) == \
            (kernel if direct else other)
        assert forced != gemm
        assert y == (forced if direct else gemm)


# stride-2 3x3 with c_in a multiple of 16 and c_out of 32 (the channel-blocked kernel):
# c_out 32 to 256, 1 to 3 input blocks, rows split in runs (17 and 15 wide), pad 0 to 2,
# rows-only padding, a 2x2 output
BLOCKED_CASES = [((2, 16, 9, 13), (32, 16, 3, 3), 1), ((1, 32, 11, 31), (64, 32, 3, 3), 2),
                 ((2, 16, 29, 29), (256, 16, 3, 3), 1), ((1, 16, 3, 3), (32, 16, 3, 3), 1),
                 ((2, 48, 10, 8), (32, 48, 3, 3), 0), ((1, 16, 9, 9), (64, 16, 3, 3), (2, 0))]


def _blocked_arrays(xs, ws, rng):
    """_arrays with one NaN per image, in a corner (one in 17 inputs would reach every
    output through 144 or more taps)."""
    x, w, b = _arrays(xs, ws, rng)
    x[np.isnan(x)] = 1.0
    x[:, -1, 0, 0] = np.nan
    return x, w, b


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("xs,ws,pad", BLOCKED_CASES)
def test_blocked_stride_2_forward_matches_reference_and_gemm_path(rng, xs, ws, pad, bias,
                                                                  relu):
    x, w, b = _blocked_arrays(xs, ws, rng)
    b = b if bias else None
    y = ops.conv2d_forward(x, w, b, 2, pad, relu=relu)
    ref = _reference(x, w, b, relu, 2, pad)
    assert y.dtype == np.float32 and y.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(y), np.isnan(ref))
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-4)
    if ON_AVX512:
        assert _algorithm(xs, ws, "forward", 2, pad) == "direct_blocked_s2"
    with _gemm_path():
        gemm = ops.conv2d_forward(x, w, b, 2, pad, relu=relu)
    np.testing.assert_allclose(y, gemm, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("xs,ws,pad", BLOCKED_CASES)
def test_blocked_forward_sums_as_the_16_channel_kernel(rng, xs, ws, pad):
    # 16 more output channels (not a multiple of 32) take the 16-channel kernel: the
    # first channels come out with the same bytes
    x, w, b = _blocked_arrays(xs, (ws[0] + 16,) + ws[1:], rng)
    y = ops.conv2d_forward(x, w[:ws[0]], b[:ws[0]], 2, pad, relu=True)
    wide = ops.conv2d_forward(x, w, b, 2, pad, relu=True)
    assert y.tobytes() == np.ascontiguousarray(wide[:, :ws[0]]).tobytes()


@pytest.mark.parametrize("xs,ws,pad", [BLOCKED_CASES[1], BLOCKED_CASES[2]])
def test_blocked_forward_is_bit_identical_for_1_2_3_threads(restore_threads, xs, ws, pad):
    # 5 images: tasks (image, 32-channel block) split unevenly, so a thread's frame
    # changes image mid-run
    x, w, b = _blocked_arrays((5,) + xs[1:], ws, np.random.default_rng(3))
    outs = []
    for nt in (1, 2, 3):
        fastconv.set_num_threads(nt)
        outs.append(ops.conv2d_forward(x, w, b, 2, pad, relu=True).tobytes())
    assert outs[0] == outs[1] == outs[2]


# not covered (the chooser picks the GEMM path even when forced): stride 3, unequal strides, c_out not a
# multiple of 16, padding as large as the kernel, dilation, groups, fewer than 9 taps
ENOSYS_CASES = [((1, 3, 11, 11), (16, 3, 3, 3), dict(stride=3, padding=1)),
                ((1, 3, 11, 11), (16, 3, 3, 3), dict(stride=(2, 1), padding=1)),
                ((1, 3, 11, 11), (24, 3, 3, 3), dict(stride=2, padding=1)),
                ((1, 3, 11, 11), (16, 3, 3, 3), dict(stride=2, padding=3)),
                ((1, 3, 11, 11), (16, 3, 3, 3), dict(stride=2, padding=1, dilation=2)),
                ((1, 4, 11, 11), (32, 2, 3, 3), dict(stride=2, padding=1, groups=2)),
                ((1, 3, 11, 11), (16, 3, 2, 2), dict(stride=2, padding=1))]


@pytest.mark.parametrize("xs,ws,kw", ENOSYS_CASES)
def test_layers_not_covered_fall_back_to_the_gemm_path(rng, xs, ws, kw):
    x, w, b = _arrays(xs, ws, rng)
    with override(direct="force"):
        geom, _ = ops.conv2d_geometry(xs, ws, **kw)
        assert _cpu.conv2d_algorithm(geom, "forward") == "implicit_gemm"
        y = ops.conv2d_forward(x, w, b, relu=True, **kw)
    with _gemm_path():
        assert y.tobytes() == ops.conv2d_forward(x, w, b, relu=True, **kw).tobytes()
    with generic_backend():
        ref = ops.conv2d_forward(*(a.astype(np.float64) for a in (x, w, b)), relu=True, **kw)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-4)


# stride-2 3x3 weight gradient with c_in a multiple of 16 (the channel-blocked kernel):
# blocks of 14 output channels, tail blocks (18 = 14 + 4, 256 = 18 x 14 + 4, 4 alone),
# 1 to 3 input blocks (an odd count of units: a last single one), odd sizes, pad 0 to 2,
# rows-only padding, image counts 1, 2, 3 and 5
WGRAD_BLOCKED_CASES = [((3, 16, 9, 13), 14, 1), ((2, 32, 11, 12), 28, 2),
                       ((5, 48, 7, 7), 18, 0), ((1, 16, 3, 3), 4, 1),
                       ((3, 16, 28, 28), 256, 1), ((2, 32, 9, 11), 30, (2, 0))]


def _blocked_wgrad_arrays(xs, c_out, pad, rng):
    """x with a NaN in one corner of its last image's last channel, and a matching dy."""
    x = rng.standard_normal(xs).astype(np.float32)
    x[-1, -1, 0, 0] = np.nan
    ph, pw = (pad, pad) if isinstance(pad, int) else pad
    out = (xs[0], c_out, (xs[2] + 2 * ph - 3) // 2 + 1, (xs[3] + 2 * pw - 3) // 2 + 1)
    return x, rng.standard_normal(out).astype(np.float32)


@pytest.mark.parametrize("xs,c_out,pad", WGRAD_BLOCKED_CASES)
def test_blocked_stride_2_weight_gradient_matches_reference_and_gemm_path(rng, xs, c_out,
                                                                          pad):
    x, dy = _blocked_wgrad_arrays(xs, c_out, pad, rng)
    ws = (c_out, xs[1], 3, 3)
    dw = ops.conv2d_backward_weight(x, dy, ws, 2, pad)
    with generic_backend():
        ref = ops.conv2d_backward_weight(x.astype(np.float64), dy.astype(np.float64), ws, 2,
                                         pad)
    assert dw.dtype == np.float32 and dw.shape == ws
    np.testing.assert_array_equal(np.isnan(dw), np.isnan(ref))
    assert np.isnan(ref).any()
    np.testing.assert_allclose(dw, ref, rtol=1e-5, atol=1e-4)
    if ON_AVX512:
        assert _algorithm(xs, ws, "weight", 2, pad) == "direct_blocked_s2"
    with _gemm_path():
        gemm = ops.conv2d_backward_weight(x, dy, ws, 2, pad)
    np.testing.assert_allclose(dw, gemm, rtol=1e-5, atol=1e-4)


def test_blocked_weight_gradient_runs_directly(rng):
    if not ON_AVX512:
        pytest.skip("the direct kernels run only where the ISA is avx512")
    # both sum each image from zero, but the GEMM path splits an image's 576 pixels into
    # two depth blocks of 288 and the blocked kernel does not (no NaN here)
    x = rng.standard_normal((2, 32, 48, 48)).astype(np.float32)
    dy = rng.standard_normal((2, 28, 24, 24)).astype(np.float32)
    dw = ops.conv2d_backward_weight(x, dy, (28, 32, 3, 3), 2, 1).tobytes()
    with _gemm_path():
        assert dw != ops.conv2d_backward_weight(x, dy, (28, 32, 3, 3), 2, 1).tobytes()


@pytest.mark.parametrize("xs,c_out,pad", [WGRAD_BLOCKED_CASES[2], WGRAD_BLOCKED_CASES[4]])
def test_blocked_weight_gradient_is_bit_identical_for_1_2_3_threads(restore_threads, xs,
                                                                    c_out, pad):
    # 5 images: groups of images split unevenly among the threads
    x, dy = _blocked_wgrad_arrays((5,) + xs[1:], c_out, pad, np.random.default_rng(3))
    outs = []
    for nt in (1, 2, 3):
        fastconv.set_num_threads(nt)
        outs.append(ops.conv2d_backward_weight(x, dy, (c_out, xs[1], 3, 3), 2, pad).tobytes())
    assert outs[0] == outs[1] == outs[2]
