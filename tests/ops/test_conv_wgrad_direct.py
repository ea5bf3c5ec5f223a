"""The direct weight-gradient kernel (stride 1, no dilation, K = C_in/groups*KH*KW <= 32,
output width >= 8; AVX2/FMA CPUs) against a float64 reference, with row tails of every
length, padding, groups and image counts that split into several chunks; and the same
result for 1 and 2 threads."""
import numpy as np
import pytest

import fastconv
from fastconv import ops


def _reference(x, dy, w_shape, padding, groups):
    """dW in float64 by the definition (loops over taps, sums over images and pixels)."""
    n, c_in, h, w = x.shape
    c_out, cg, kh, kw = w_shape
    ph, pw = padding
    xp = np.zeros((n, c_in, h + 2 * ph, w + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + w] = x
    oh, ow = dy.shape[2:]
    m = c_out // groups
    dw = np.zeros(w_shape)
    for g in range(groups):
        for ky in range(kh):
            for kx in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg, ky:ky + oh, kx:kx + ow]
                dw[g * m:(g + 1) * m, :, ky, kx] = np.einsum(
                    "nohw,nchw->oc", dy[:, g * m:(g + 1) * m], patch)
    return dw


@pytest.mark.parametrize("n, c_in, hw, c_out, k, pad, groups", [
    (64, 1, (28, 28), 6, (5, 5), (2, 2), 1),    # LeNet conv1
    (3, 1, (9, 8), 7, (3, 3), (0, 0), 1),       # ow = 6 < 8: GEMM path
    (5, 2, (9, 13), 7, (3, 3), (1, 1), 1),      # ow 13: masked tail of 5
    (17, 3, (12, 9), 5, (3, 3), (1, 2), 1),
    (7, 4, (12, 11), 6, (3, 3), (1, 1), 2),     # groups
    (33, 2, (9, 9), 5, (2, 4), (1, 0), 1),      # kw 4: a partial kx block
    (4, 1, (10, 20), 3, (1, 7), (0, 3), 1),     # kw 7: two kx blocks
])
def test_direct_weight_gradient_matches_reference_and_threads(n, c_in, hw, c_out, k, pad,
                                                              groups):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c_in) + hw).astype(np.float32)
    w_shape = (c_out, c_in // groups) + k
    y = ops.conv2d_forward(x, np.zeros(w_shape, np.float32), padding=pad, groups=groups)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    results, before = [], fastconv.get_num_threads()
    try:
        for t in (1, 2):
            fastconv.set_num_threads(t)
            results.append(ops.conv2d_backward_weight(x, dy, w_shape, padding=pad,
                                                      groups=groups))
    finally:
        fastconv.set_num_threads(before)
    assert np.array_equal(results[0], results[1])
    ref = _reference(x.astype(np.float64), dy.astype(np.float64), w_shape, pad, groups)
    np.testing.assert_allclose(results[0], ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())
