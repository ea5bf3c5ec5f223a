"""Strided convolutions on the phase-split paths (the forward reads the phase planes in
place, the weight gradient gathers its panels from them): values against the float64
references of test_conv, and 1, 2 and 3 threads bitwise.

Shapes are wider than test_conv's so that runs cross micro-tile and panel edges, the
stride-2 vector gather runs, and strides 2-4 with dilation, padding and groups each
pick a different phase plane per tap. Stride 5 falls back to im2col (and to the
bounds-checked weight-gradient packer).
"""
import numpy as np
import pytest

import fastconv
from fastconv import ops

from .test_conv import (_make, assert_close, ref_backward_data, ref_backward_weight,
                        ref_forward, threads_back)  # noqa: F401 (fixture)

# (n, c_in, c_out, h, w, (kh, kw), stride, padding, dilation, groups)
CASES = [
    (3, 5, 7, 28, 29, (3, 3), 2, 1, 1, 1),
    (2, 4, 13, 23, 40, (3, 3), 2, 0, 1, 1),
    (2, 6, 9, 17, 19, (5, 3), (2, 3), (2, 1), (1, 2), 3),
    (2, 3, 4, 21, 22, (3, 4), (3, 2), (0, 3), (2, 1), 1),
    (1, 8, 8, 30, 31, (3, 3), 4, 2, 3, 2),
    (2, 4, 6, 26, 25, (1, 1), 2, 0, 1, 1),
    (2, 4, 6, 20, 21, (2, 2), 2, 0, 1, 2),
    (1, 3, 5, 27, 26, (4, 4), 2, 3, 1, 1),
    (2, 4, 5, 31, 33, (3, 3), 5, 1, 1, 1),     # stride 5: im2col forward
]
IDS = ["-".join(str(v) for v in c) for c in CASES]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_strided_values(case, dtype):
    x, w, b, dy, gm, kw = _make(case, dtype, seed=1)
    ref = ref_forward(x, w, b, gm)
    assert_close(ops.conv2d_forward(x, w, b, **kw), ref, dtype)
    assert_close(ops.conv2d_forward(x, w, b, relu=True, **kw), np.maximum(ref, 0), dtype)
    assert_close(ops.conv2d_backward_data(dy, w, x.shape, **kw),
                 ref_backward_data(dy, w, gm), dtype)
    assert_close(ops.conv2d_backward_weight(x, dy, w.shape, **kw),
                 ref_backward_weight(x, dy, gm), dtype)


# Large enough to run on several threads; odd channel counts leave the weights' last MR
# panel partial (threads split the packing by panels) and groups give several packed
# weights per call.
THREAD_CASES = [
    (8, 16, 24, 30, 30, (3, 3), 2, 1, 1, 1),
    (4, 10, 14, 21, 19, (3, 3), 2, 1, 1, 2),
    (3, 9, 26, 25, 23, (3, 3), 3, (1, 2), 1, 1),
    (2, 12, 30, 28, 27, (5, 5), 2, 2, 1, 3),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", THREAD_CASES, ids=["-".join(str(v) for v in c)
                                                    for c in THREAD_CASES])
def test_strided_threads_bitwise(case, dtype, threads_back):
    x, w, b, dy, gm, kw = _make(case, dtype, seed=1)
    out = []
    for nt in (1, 2, 3):
        fastconv.set_num_threads(nt)
        out.append((ops.conv2d_forward(x, w, b, **kw),
                    ops.conv2d_backward_data(dy, w, x.shape, **kw),
                    ops.conv2d_backward_weight(x, dy, w.shape, **kw)))
    for other in out[1:]:
        for a, c in zip(out[0], other):
            np.testing.assert_array_equal(a, c)
    assert_close(out[0][1], ref_backward_data(dy, w, gm), dtype)
