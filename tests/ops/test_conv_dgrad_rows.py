"""Stride-1 data gradient with row blocks that skip zero-padding tap rows.

Where most tap rows of the rotated-weight forward conv read only the zero padding of dy
(LeNet's conv2: 10x10 dy padded to 18x18), the kernel orders K as (ky, channel, kx) and
each block of output rows uses only the tap rows that reach real dy rows. Checked here
against the adjoint identity <conv(x, w), dy> == <x, dgrad(dy, w)> in float64, against a
float64 run for float32, and for bitwise-identical results with 1 and 2 threads.
"""
import numpy as np
import pytest

import fastconv
from fastconv import ops

CASES = [
    ((3, 6, 14, 14), (16, 6, 5, 5), {}),                        # LeNet conv2
    ((2, 4, 9, 11), (5, 4, 3, 3), {"padding": 4}),
    ((2, 4, 7, 7), (4, 2, 3, 3), {"padding": (5, 1), "groups": 2, "dilation": 2}),
    ((1, 3, 5, 6), (2, 3, 2, 4), {"padding": (3, 3)}),
    ((2, 3, 6, 5), (3, 3, 5, 1), {"padding": (6, 0)}),
    ((1, 2, 20, 3), (3, 2, 7, 3), {"padding": (2, 1), "dilation": (2, 1)}),
    ((2, 20, 14, 14), (24, 20, 5, 5), {}),                      # several MR panels
]


@pytest.mark.parametrize("xs,ws,kw", CASES)
def test_dgrad_rows_adjoint_and_threads(xs, ws, kw):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    y = ops.conv2d_forward(x, w, **kw)
    dy = rng.standard_normal(y.shape)
    dx = ops.conv2d_backward_data(dy, w, xs, **kw)
    lhs, rhs = float((y * dy).sum()), float((x * dx).sum())
    assert abs(lhs - rhs) <= 1e-9 * max(1.0, abs(lhs))

    x32, w32, dy32 = (a.astype(np.float32) for a in (x, w, dy))
    old = fastconv.get_num_threads()
    try:
        outs = []
        for nt in (1, 2):
            fastconv.set_num_threads(nt)
            outs.append(ops.conv2d_backward_data(dy32, w32, xs, **kw))
    finally:
        fastconv.set_num_threads(old)
    assert np.array_equal(outs[0], outs[1])
    np.testing.assert_allclose(outs[0], dx, rtol=1e-4, atol=1e-4 * np.abs(dx).max())
