"""The batch-norm kernels beyond the op harness: every instruction-set variant gives the
same bits, the fused ReLU equals BN then ReLU bit for bit, the statistics stay accurate
far from zero, and the raw op's aliasing, layout and edge cases."""
import numpy as np
import pytest

from fastconv import ops

# rows with tails (7x7), short rows summed across the batch ((N, C), L = 5 and 9; with
# several channel groups and batch chunks: (64, 300), (40, 20, 9)), few channels (batch
# chunks: (8, 2, 33, 31)), one chunk per channel (3, 17, 16, 16)
SHAPES = [(4, 3, 7, 7), (16, 20, 5), (64, 18), (64, 300), (40, 20, 9), (8, 2, 33, 31),
          (3, 17, 16, 16)]


def _data(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
    return (x, rng.standard_normal(shape).astype(dtype), rng.standard_normal(c).astype(dtype),
            rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype),
            rng.uniform(0.5, 2, c).astype(dtype))


def _all_outputs(shape, dtype, relu):
    """Every output of a training forward, its backward and an eval forward + backward."""
    x, dy, w, b, rm, rv = _data(shape, dtype)
    y, mean, invstd = ops.batch_norm_forward(x, rm, rv, w, b, True, 0.2, 1e-4, relu=relu)
    grads = ops.batch_norm_backward(dy, x, mean, invstd, w, b, True, relu=relu)
    ye, me, ie = ops.batch_norm_forward(x, rm, rv, w, b, False, relu=relu)
    grads_eval = ops.batch_norm_backward(dy, x, me, ie, w, b, False, relu=relu)
    return [y, mean, invstd, rm, rv, *grads, ye, *grads_eval]


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_every_instruction_set_variant_gives_the_same_bits(shape, dtype, relu, monkeypatch):
    results = {}
    for cap in ("generic", "avx2", "avx512"):
        monkeypatch.setenv("FASTCONV_ISA", cap)
        results[cap] = _all_outputs(shape, dtype, relu)
    for cap in ("avx2", "avx512"):
        for a, b in zip(results["generic"], results[cap]):
            np.testing.assert_array_equal(a, b, err_msg=cap)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_fused_relu_equals_batch_norm_then_relu_bit_for_bit(shape, dtype, training):
    x, dy, w, b, rm, rv = _data(shape, dtype, seed=1)
    x[0, 0].flat[0] = np.nan   # NaN: kept by the forward, blocks the gradient
    y, mean, invstd = ops.batch_norm_forward(x, rm.copy(), rv.copy(), w, b, training, 0.1)
    relu_y = ops.relu_forward(y)
    fused, fmean, finvstd = ops.batch_norm_forward(x, rm.copy(), rv.copy(), w, b, training,
                                                   0.1, relu=True)
    np.testing.assert_array_equal(fused, relu_y)
    unfused = ops.batch_norm_backward(ops.relu_backward(dy, relu_y), x, mean, invstd, w, b,
                                      training)
    fused_grads = ops.batch_norm_backward(dy, x, fmean, finvstd, w, b, training, relu=True)
    for a, f in zip(unfused, fused_grads):
        np.testing.assert_array_equal(a, f)


@pytest.mark.parametrize("shape", [(32, 8, 9, 9), (2, 3, 40, 40)])
def test_float32_statistics_stay_accurate_far_from_zero(shape):
    """Mean 1e4, standard deviation 1: a one-pass sum of squares in float would lose
    every digit of the variance; the corrected two-pass sums keep float precision."""
    rng = np.random.default_rng(3)
    x64 = 1e4 + rng.standard_normal(shape)
    x = x64.astype(np.float32)
    xs = x.astype(np.float64)
    c = shape[1]
    rm, rv = np.zeros(c, np.float32), np.zeros(c, np.float32)
    _, mean, invstd = ops.batch_norm_forward(x, rm, rv, training=True, momentum=1.0,
                                             eps=1e-5)
    axes = (0, 2, 3)
    np.testing.assert_allclose(mean, xs.mean(axis=axes), rtol=1e-7)
    np.testing.assert_allclose(rv, xs.var(axis=axes, ddof=1), rtol=2e-6)
    np.testing.assert_allclose(invstd, 1 / np.sqrt(xs.var(axis=axes) + 1e-5), rtol=2e-6)


def test_constant_channel_normalises_to_the_bias():
    x = np.full((4, 2, 3, 3), 7.0, np.float32)
    w, b = np.array([2.0, 3.0], np.float32), np.array([0.5, -1.0], np.float32)
    y, mean, invstd = ops.batch_norm_forward(x, None, None, w, b, True, eps=1e-3)
    np.testing.assert_array_equal(mean, [7, 7])
    np.testing.assert_allclose(invstd, 1 / np.sqrt(1e-3), rtol=1e-6)
    np.testing.assert_array_equal(y[:, 0], 0.5)
    np.testing.assert_array_equal(y[:, 1], -1.0)


@pytest.mark.parametrize("training", [True, False])
def test_out_may_be_the_input(training):
    x, _, w, b, rm, rv = _data((4, 3, 5, 5), np.float32)
    expected = ops.batch_norm_forward(x, rm.copy(), rv.copy(), w, b, training)[0]
    inplace = x.copy()
    y = ops.batch_norm_forward(inplace, rm.copy(), rv.copy(), w, b, training, out=inplace)[0]
    assert y is inplace
    np.testing.assert_array_equal(inplace, expected)


def test_non_contiguous_input_is_read_correctly():
    x, _, w, b, _, _ = _data((6, 3, 8, 8), np.float64)
    view = x[::2, :, 1::2, ::3]
    np.testing.assert_array_equal(ops.batch_norm_forward(view, None, None, w, b, True)[0],
                                  ops.batch_norm_forward(view.copy(), None, None, w, b,
                                                         True)[0])


def test_empty_batch_in_evaluation_gives_an_empty_output():
    _, _, w, b, rm, rv = _data((1, 3, 2, 2), np.float32)
    y, _, _ = ops.batch_norm_forward(np.zeros((0, 3, 2, 2), np.float32), rm, rv, w, b)
    assert y.shape == (0, 3, 2, 2)


def test_running_stats_must_be_writable_in_training():
    x = np.ones((4, 3), np.float32)
    rm = np.zeros(6, np.float32)[::2]
    with pytest.raises(ValueError, match="running_mean"):
        ops.batch_norm_forward(x, rm, np.ones(3, np.float32), training=True)


def test_backward_skips_what_the_mask_leaves_out():
    x, dy, w, b, _, _ = _data((4, 3, 2, 2), np.float32)
    _, mean, invstd = ops.batch_norm_forward(x, None, None, w, b, True)
    dx, dw, db = ops.batch_norm_backward(dy, x, mean, invstd, w, b,
                                         output_mask=(False, True, False))
    assert dx is None and db is None and dw.shape == (3,)
    full = ops.batch_norm_backward(dy, x, mean, invstd, w, b)
    np.testing.assert_array_equal(dw, full[1])


@pytest.mark.parametrize("shape", [(8, 3, 64, 64), (512, 300), (40, 20, 9), (4, 40, 32, 32)])
def test_results_are_the_same_bits_for_any_thread_count(shape):
    """Beyond the harness's 1 vs 2: 3 and 4 threads split channels, channel groups and
    batch chunks differently, and must not change a bit."""
    import fastconv
    saved = fastconv.get_num_threads()
    try:
        results = []
        for threads in (1, 2, 3, 4):
            fastconv.set_num_threads(threads)
            results.append(_all_outputs(shape, np.float32, relu=True))
    finally:
        fastconv.set_num_threads(saved)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


def test_out_overlapping_the_input_at_an_offset_reads_the_input_first():
    x, _, w, b, _, _ = _data((5, 2, 8), np.float64)
    buf = np.concatenate([x.ravel(), np.zeros(16)])
    expected = ops.batch_norm_forward(x.copy(), None, None, w, b, True)[0]
    out = buf[16:].reshape(x.shape)
    ops.batch_norm_forward(buf[:x.size].reshape(x.shape), None, None, w, b, True, out=out)
    np.testing.assert_array_equal(out, expected)
