"""Bad input to fastconv.ops raises TypeError/ValueError naming the argument, and no input
reachable from Python (not even garbage straight into fastconv._cpu) crashes the process."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fastconv import ops

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def a(*shape, dtype=np.float32):
    return np.ones(shape, dtype=dtype)


def readonly(*shape):
    x = a(*shape)
    x.flags.writeable = False
    return x


def _readonly_idx():
    idx = np.zeros((2, 3, 3, 3), np.int64)
    idx.flags.writeable = False
    return idx


class FakeCupyArray:
    """Looks like a cupy array to fastconv's array-module check."""
    __module__ = "cupy._core.core"
    dtype = np.dtype(np.float32)
    shape = (1, 1, 4, 4)
    ndim = 4


X, W = a(2, 3, 6, 6), a(4, 3, 3, 3)
DY = a(2, 4, 4, 4)
XP, DYP = a(2, 3, 6, 6), a(2, 3, 3, 3)
IDX = np.zeros((2, 3, 3, 3), np.int64)

# (id, call, exception, regex the message must match: it names the bad argument)
CASES = [
    # ---- conv2d_forward
    ("conv_x_rank", lambda: ops.conv2d_forward(a(3, 6, 6), W), ValueError, "input must be 4-D"),
    ("conv_w_rank", lambda: ops.conv2d_forward(X, a(4, 3, 3)), ValueError, "weight must be 4-D"),
    ("conv_channels", lambda: ops.conv2d_forward(X, a(4, 2, 3, 3)), ValueError,
     "input channels"),
    ("conv_groups_in", lambda: ops.conv2d_forward(X, a(4, 1, 3, 3), groups=2), ValueError,
     "groups=2 must divide the input channels"),
    ("conv_groups_out", lambda: ops.conv2d_forward(a(1, 4, 6, 6), a(3, 2, 3, 3), groups=2),
     ValueError, "groups=2 must divide the output channels"),
    ("conv_groups_zero", lambda: ops.conv2d_forward(X, W, groups=0), ValueError, "groups"),
    ("conv_groups_float", lambda: ops.conv2d_forward(X, W, groups=1.0), ValueError, "groups"),
    ("conv_kernel_too_big", lambda: ops.conv2d_forward(a(1, 3, 2, 6), W), ValueError,
     "kernel height"),
    ("conv_dilated_too_big", lambda: ops.conv2d_forward(X, W, dilation=(1, 3)), ValueError,
     "kernel width"),
    ("conv_stride_zero", lambda: ops.conv2d_forward(X, W, stride=0), ValueError, "stride"),
    ("conv_stride_negative", lambda: ops.conv2d_forward(X, W, stride=(1, -1)), ValueError,
     "stride"),
    ("conv_stride_float", lambda: ops.conv2d_forward(X, W, stride=1.5), TypeError, "stride"),
    ("conv_stride_triple", lambda: ops.conv2d_forward(X, W, stride=(1, 1, 1)), TypeError,
     "stride"),
    ("conv_dilation_zero", lambda: ops.conv2d_forward(X, W, dilation=0), ValueError,
     "dilation"),
    ("conv_padding_negative", lambda: ops.conv2d_forward(X, W, padding=-1), ValueError,
     "padding"),
    ("conv_padding_word", lambda: ops.conv2d_forward(X, W, padding="full"), ValueError,
     "padding"),
    ("conv_same_strided", lambda: ops.conv2d_forward(X, W, stride=2, padding="same"),
     ValueError, "padding='same'"),
    ("conv_int32", lambda: ops.conv2d_forward(a(2, 3, 6, 6, dtype=np.int32), W), TypeError,
     "input must have dtype float32 or float64"),
    ("conv_float16", lambda: ops.conv2d_forward(X, a(4, 3, 3, 3, dtype=np.float16)), TypeError,
     "weight must have dtype"),
    ("conv_mixed_dtypes", lambda: ops.conv2d_forward(X, a(4, 3, 3, 3, dtype=np.float64)),
     TypeError, "input .* and weight"),
    ("conv_bias_shape", lambda: ops.conv2d_forward(X, W, a(3)), ValueError, "bias"),
    ("conv_bias_rank", lambda: ops.conv2d_forward(X, W, a(4, 1)), ValueError, "bias"),
    ("conv_bias_dtype", lambda: ops.conv2d_forward(X, W, a(4, dtype=np.float64)), TypeError,
     "bias"),
    ("conv_empty_batch", lambda: ops.conv2d_forward(a(0, 3, 6, 6), W), ValueError,
     "input has an empty batch"),
    ("conv_zero_size", lambda: ops.conv2d_forward(a(2, 3, 0, 6), W), ValueError, "input"),
    ("conv_out_shape", lambda: ops.conv2d_forward(X, W, out=a(2, 4, 4, 5)), ValueError,
     "out must have shape"),
    ("conv_out_dtype", lambda: ops.conv2d_forward(X, W, out=a(2, 4, 4, 4, dtype=np.float64)),
     ValueError, "out must have .*dtype float32"),
    ("conv_out_strided", lambda: ops.conv2d_forward(X, W, out=a(2, 4, 4, 8)[..., ::2]),
     ValueError, "out must be C-contiguous"),
    ("conv_out_readonly", lambda: ops.conv2d_forward(X, W, out=readonly(2, 4, 4, 4)),
     ValueError, "out must be C-contiguous and writeable"),
    ("conv_out_list", lambda: ops.conv2d_forward(X, W, out=[0.0]), TypeError, "out"),
    ("conv_x_list", lambda: ops.conv2d_forward([[[[1.0]]]], W), TypeError, "input"),
    ("conv_w_object", lambda: ops.conv2d_forward(X, object()), TypeError, "weight"),
    ("conv_mixed_devices", lambda: ops.conv2d_forward(X, FakeCupyArray()), TypeError,
     "one device"),
    # ---- conv2d backward
    ("convbd_dy_shape", lambda: ops.conv2d_backward_data(a(2, 4, 4, 3), W, X.shape),
     ValueError, "grad_output must have shape"),
    ("convbd_input_shape", lambda: ops.conv2d_backward_data(DY, W, (3, 6, 6)), ValueError,
     "input must be 4-D"),
    ("convbd_dtypes", lambda: ops.conv2d_backward_data(DY, a(4, 3, 3, 3, dtype=np.float64),
                                                       X.shape), TypeError, "grad_output"),
    ("convbd_out", lambda: ops.conv2d_backward_data(DY, W, X.shape, out=a(2, 3, 6, 5)),
     ValueError, "out"),
    ("convbw_dy_shape", lambda: ops.conv2d_backward_weight(X, a(2, 4, 5, 4), W.shape),
     ValueError, "grad_output must have shape"),
    ("convbw_channels", lambda: ops.conv2d_backward_weight(X, DY, (4, 2, 3, 3)), ValueError,
     "input channels"),
    ("convbw_int", lambda: ops.conv2d_backward_weight(X, DY.astype(np.int64), W.shape),
     TypeError, "grad_output"),
    ("convbb_rank", lambda: ops.conv2d_backward_bias(a(2, 4, 4)), ValueError, "grad_output"),
    ("convbb_empty", lambda: ops.conv2d_backward_bias(a(0, 4, 4, 4)), ValueError,
     "grad_output has an empty batch"),
    ("convbb_zero_channels", lambda: ops.conv2d_backward_bias(a(2, 0, 4, 4)), ValueError,
     "grad_output"),
    ("convbb_out", lambda: ops.conv2d_backward_bias(DY, out=a(5)), ValueError, "out"),
    # ---- gemm / linear
    ("gemm_a_rank", lambda: ops.gemm(a(3), a(3, 2)), ValueError, "a must be 2-D"),
    ("gemm_b_rank", lambda: ops.gemm(a(2, 3), a(3, 2, 1)), ValueError, "b must be 2-D"),
    ("gemm_inner", lambda: ops.gemm(a(2, 3), a(4, 2)), ValueError, "inner dimensions"),
    ("gemm_inner_trans", lambda: ops.gemm(a(2, 3), a(3, 2), trans_a=True), ValueError,
     "inner dimensions"),
    ("gemm_dtypes", lambda: ops.gemm(a(2, 3), a(3, 2, dtype=np.float64)), TypeError,
     "a .* and b"),
    ("gemm_int", lambda: ops.gemm(a(2, 3, dtype=np.int32), a(3, 2)), TypeError, "a must"),
    ("gemm_beta_no_out", lambda: ops.gemm(a(2, 3), a(3, 2), beta=1.0), ValueError, "out"),
    ("gemm_out_shape", lambda: ops.gemm(a(2, 3), a(3, 2), out=a(2, 3)), ValueError, "out"),
    ("gemm_out_readonly", lambda: ops.gemm(a(2, 3), a(3, 2), out=readonly(2, 2)), ValueError,
     "out"),
    ("linear_features", lambda: ops.linear_forward(a(2, 3), a(4, 5)), ValueError, "weight"),
    ("linear_bias", lambda: ops.linear_forward(a(2, 3), a(4, 3), a(3)), ValueError, "bias"),
    # ---- max_pool2d_forward
    ("pool_rank", lambda: ops.max_pool2d_forward(a(3, 6, 6), 2), ValueError,
     "input must be 4-D"),
    ("pool_empty_batch", lambda: ops.max_pool2d_forward(a(0, 3, 6, 6), 2), ValueError,
     "input has an empty batch"),
    ("pool_zero_size", lambda: ops.max_pool2d_forward(a(1, 3, 6, 0), 2), ValueError, "input"),
    ("pool_kernel_zero", lambda: ops.max_pool2d_forward(XP, 0), ValueError, "kernel_size"),
    ("pool_kernel_triple", lambda: ops.max_pool2d_forward(XP, (2, 2, 2)), TypeError,
     "kernel_size"),
    ("pool_stride_zero", lambda: ops.max_pool2d_forward(XP, 2, 0), ValueError, "stride"),
    ("pool_stride_negative", lambda: ops.max_pool2d_forward(XP, 2, (-1, 1)), ValueError,
     "stride"),
    ("pool_padding_half", lambda: ops.max_pool2d_forward(XP, 2, padding=2), ValueError,
     "padding"),
    ("pool_padding_negative", lambda: ops.max_pool2d_forward(XP, 2, padding=-1), ValueError,
     "padding"),
    ("pool_dilation_zero", lambda: ops.max_pool2d_forward(XP, 2, dilation=0), ValueError,
     "dilation"),
    ("pool_window_too_big", lambda: ops.max_pool2d_forward(a(1, 1, 2, 6), 3), ValueError,
     "pooling window height"),
    ("pool_int32", lambda: ops.max_pool2d_forward(a(1, 1, 4, 4, dtype=np.int32), 2),
     TypeError, "input must have dtype"),
    ("pool_float16", lambda: ops.max_pool2d_forward(a(1, 1, 4, 4, dtype=np.float16), 2),
     TypeError, "input must have dtype"),
    ("pool_out_shape", lambda: ops.max_pool2d_forward(XP, 2, out=a(2, 3, 3, 2)), ValueError,
     "out must have shape"),
    ("pool_indices_dtype", lambda: ops.max_pool2d_forward(
        XP, 2, indices=np.zeros((2, 3, 3, 3), np.int32)), ValueError, "indices"),
    ("pool_indices_readonly", lambda: ops.max_pool2d_forward(XP, 2, indices=_readonly_idx()),
     ValueError, "indices"),
    ("pool_x_list", lambda: ops.max_pool2d_forward([[[[1.0]]]], 1), TypeError, "input"),
    # ---- max_pool2d_backward
    ("poolb_dy_shape", lambda: ops.max_pool2d_backward(a(2, 3, 3, 2), IDX, XP.shape, 2),
     ValueError, "grad_output must have shape"),
    ("poolb_dy_int", lambda: ops.max_pool2d_backward(IDX, IDX, XP.shape, 2), TypeError,
     "grad_output"),
    ("poolb_idx_float", lambda: ops.max_pool2d_backward(DYP, DYP, XP.shape, 2), TypeError,
     "indices"),
    ("poolb_idx_list", lambda: ops.max_pool2d_backward(DYP, [0], XP.shape, 2), TypeError,
     "indices"),
    ("poolb_idx_shape", lambda: ops.max_pool2d_backward(DYP, IDX[:1], XP.shape, 2), ValueError,
     "indices must have shape"),
    ("poolb_idx_high", lambda: ops.max_pool2d_backward(DYP, IDX + 36, XP.shape, 2), ValueError,
     "indices must lie in"),
    ("poolb_idx_negative", lambda: ops.max_pool2d_backward(DYP, IDX - 1, XP.shape, 2),
     ValueError, "indices must lie in"),
    ("poolb_input_shape", lambda: ops.max_pool2d_backward(DYP, IDX, (2, 3, 6), 2), ValueError,
     "input must be 4-D"),
    ("poolb_out", lambda: ops.max_pool2d_backward(DYP, IDX, XP.shape, 2, out=a(2, 3, 6, 6,
                                                                              dtype=np.float64)),
     ValueError, "out"),
    # ---- relu
    ("relu_int", lambda: ops.relu_forward(a(3, dtype=np.int32)), TypeError,
     "input must have dtype"),
    ("relu_float16", lambda: ops.relu_forward(a(3, dtype=np.float16)), TypeError,
     "input must have dtype"),
    ("relu_scalar", lambda: ops.relu_forward(np.float32(1.0)), TypeError, "input"),
    ("relu_list", lambda: ops.relu_forward([1.0]), TypeError, "input"),
    ("relu_out_shape", lambda: ops.relu_forward(a(3), out=a(4)), ValueError, "out"),
    ("relu_out_readonly", lambda: ops.relu_forward(a(3), out=readonly(3)), ValueError, "out"),
    ("relu_out_type", lambda: ops.relu_forward(a(3), out=[0.0] * 3), TypeError, "out"),
    ("relub_shapes", lambda: ops.relu_backward(a(3), a(4)), ValueError, "grad_output"),
    ("add_relu_shapes", lambda: ops.add_relu_forward(a(3), a(4)), ValueError, "other"),
    ("add_relu_dtypes", lambda: ops.add_relu_forward(a(3), a(3, dtype=np.float64)),
     TypeError, "other"),
    ("add_relu_int", lambda: ops.add_relu_forward(a(3), a(3, dtype=np.int64)), TypeError,
     "other"),
    ("add_relu_out", lambda: ops.add_relu_forward(a(3), a(3), out=a(4)), ValueError, "out"),
    ("relub_dtypes", lambda: ops.relu_backward(a(3), a(3, dtype=np.float64)), TypeError,
     "grad_output .* and output"),
    ("relub_output_int", lambda: ops.relu_backward(a(3), a(3, dtype=np.int8)), TypeError,
     "output must have dtype"),
]


@pytest.mark.parametrize("call, exc, match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_naming_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_bad_input_leaves_out_buffer_untouched():
    out = np.full((2, 4, 4, 4), 7.0, np.float32)
    with pytest.raises(TypeError):
        ops.conv2d_forward(X, a(4, 3, 3, 3, dtype=np.float64), out=out)
    assert (out == 7.0).all()


HOSTILE = r'''
import numpy as np
from fastconv import _cpu, ops

f32, f64 = np.float32, np.float64

def z(*s, dtype=f32):
    return np.zeros(s, dtype)

def ro(*s):
    x = z(*s)
    x.flags.writeable = False
    return x

CG = (1, 2, 4, 5, 3, 3, 3, 2, 3, 1, 1, 0, 0, 1, 1, 1)     # a valid conv geometry
PG = (1, 2, 4, 5, 2, 2, 2, 2, 2, 2, 0, 0, 1, 1)           # a valid pool geometry
BIG = 2 ** 40
calls = [
    # conv: garbage geometry
    lambda: _cpu.conv2d_forward((), z(40), z(54), None, z(12)),
    lambda: _cpu.conv2d_forward(CG[:-1], z(40), z(54), None, z(12)),
    lambda: _cpu.conv2d_forward(None, z(40), z(54), None, z(12)),
    lambda: _cpu.conv2d_forward(tuple(-v for v in CG), z(40), z(54), None, z(12)),
    lambda: _cpu.conv2d_forward((1, 2, 4, 5, 3, 3, 3, 2, 3, 0, 1, 0, 0, 1, 1, 1), z(40), z(54), None, z(12)),
    lambda: _cpu.conv2d_forward((1, 3, 4, 5, 3, 3, 3, 2, 3, 1, 1, 0, 0, 1, 1, 2), z(60), z(27), None, z(18)),
    lambda: _cpu.conv2d_forward((BIG, BIG, BIG, BIG) + CG[4:], z(0), z(54), None, z(0)),
    lambda: _cpu.conv2d_forward((2 ** 62, 4) + CG[2:], z(0), z(54), None, z(0)),
    lambda: _cpu.conv2d_forward((1, 1, 2 ** 32, 2 ** 32) + CG[4:], z(0), z(54), None, z(6)),
    lambda: _cpu.conv2d_forward((2 ** 63,) + CG[1:], z(40), z(54), None, z(12)),
    lambda: _cpu.conv2d_forward((1.5,) + CG[1:], z(40), z(54), None, z(12)),
    lambda: _cpu.conv2d_forward(("1",) + CG[1:], z(40), z(54), None, z(12)),
    # conv: wrong buffers
    lambda: _cpu.conv2d_forward(CG, z(39), z(54), None, z(18)),
    lambda: _cpu.conv2d_forward(CG, z(40), z(53), None, z(18)),
    lambda: _cpu.conv2d_forward(CG, z(40), z(54), None, z(17)),
    lambda: _cpu.conv2d_forward(CG, z(40), z(54), z(2), z(18)),
    lambda: _cpu.conv2d_forward(CG, z(40), z(54), [0.0] * 3, z(18)),
    lambda: _cpu.conv2d_forward(CG, z(40), z(54, dtype=f64), None, z(18)),
    lambda: _cpu.conv2d_forward(CG, z(40, dtype=np.int32), z(54), None, z(18)),
    lambda: _cpu.conv2d_forward(CG, z(80)[::2], z(54), None, z(18)),
    lambda: _cpu.conv2d_forward(CG, z(40), z(54), None, ro(18)),
    lambda: _cpu.conv2d_forward(CG, None, z(54), None, z(18)),
    lambda: _cpu.conv2d_forward(CG, [0.0] * 40, z(54), None, z(18)),
    lambda: _cpu.conv2d_backward_data(CG, z(18), z(54), ro(40)),
    lambda: _cpu.conv2d_backward_data(CG, z(18), z(54), z(39)),
    lambda: _cpu.conv2d_backward_weight(CG, z(40), z(17), z(54)),
    lambda: _cpu.conv2d_backward_weight(CG, z(40), z(18), z(54, dtype=f64)),
    lambda: _cpu.conv2d_backward_bias(CG, z(18), z(2)),
    lambda: _cpu.conv2d_backward_bias(CG, z(18), ro(3)),
    # conv: valid but extreme geometry (kernels bounds-check every tap)
    lambda: _cpu.conv2d_forward((1, 2, 4, 5, 3, 3, 3, 9, 11, 1, 1, 1, 1, 1, 1, 1), z(40), z(54), z(3), z(297)),
    lambda: _cpu.conv2d_forward((1, 2, 4, 5, 3, 3, 3, 2, 2, 1, 1, 100, 100, 1, 1, 1), z(40), z(54), None, z(12)),
    lambda: _cpu.conv2d_forward((1, 2, 4, 5, 3, 3, 3, 3, 3, 1000, 1000, 0, 0, 500, 500, 1), z(40), z(54), None, z(27)),
    lambda: _cpu.conv2d_backward_data((1, 2, 4, 5, 3, 3, 3, 9, 11, 1, 1, 1, 1, 1, 1, 1), z(297), z(54), z(40)),
    lambda: _cpu.conv2d_backward_weight((1, 2, 4, 5, 3, 3, 3, 9, 11, 1, 1, 1, 1, 1, 1, 1), z(40), z(297), z(54)),
    lambda: _cpu.conv2d_backward_data((1, 2, 4, 5, 3, 3, 3, 3, 3, 1000, 1000, 0, 0, 500, 500, 1), z(27), z(54), z(40)),
    lambda: _cpu.conv2d_backward_weight((1, 2, 4, 5, 3, 3, 3, 3, 3, 1000, 1000, 0, 0, 500, 500, 1), z(40), z(27), z(54)),
    # pool: garbage geometry and buffers
    lambda: _cpu.max_pool2d_forward((), z(40), z(8), None),
    lambda: _cpu.max_pool2d_forward((1, 2, 4, 5, 9, 9, 2, 2, 2, 2, 0, 0, 1, 1), z(40), z(162), None),
    lambda: _cpu.max_pool2d_forward((1, 2, 4, 5, 2, 2, 2, 2, 2, 2, 5, 5, 1, 1), z(40), z(8), None),
    lambda: _cpu.max_pool2d_forward((1, 1, 2 ** 32, 2 ** 32, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1), z(0), z(1), None),
    lambda: _cpu.max_pool2d_forward((2 ** 62, 4, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1), z(0), z(0), None),
    lambda: _cpu.max_pool2d_forward((1, 1, 4, 4, 2, 2, 2, 2, 2 ** 62, 2 ** 62, 0, 0, 1, 1), z(16), z(4), None),
    lambda: _cpu.max_pool2d_forward((1, 1, 4, 4, 2, 2, 2, 2, 2, 2, 0, 0, 2 ** 62, 1), z(16), z(4), None),
    lambda: _cpu.max_pool2d_forward(PG, z(40), z(8), z(8, dtype=np.int32)),
    lambda: _cpu.max_pool2d_forward(PG, z(40), z(8), z(7, dtype=np.int64)),
    lambda: _cpu.max_pool2d_forward(PG, z(40), z(8), z(16, dtype=np.int64)[::2]),
    lambda: _cpu.max_pool2d_forward(PG, z(40), ro(8), None),
    lambda: _cpu.max_pool2d_forward(PG, z(40), z(8), [0] * 8),
    lambda: _cpu.max_pool2d_backward(PG, z(8), np.full(8, 10 ** 9, np.int64), z(40)),
    lambda: _cpu.max_pool2d_backward(PG, z(8), np.full(8, -1, np.int64), z(40)),
    lambda: _cpu.max_pool2d_backward(PG, z(8), np.full(8, 20, np.int64), z(40)),
    lambda: _cpu.max_pool2d_backward(PG, z(8), np.zeros(8, np.int32), z(40)),
    lambda: _cpu.max_pool2d_backward(PG, z(8), np.zeros(7, np.int64), z(40)),
    lambda: _cpu.max_pool2d_backward(PG, z(8), np.zeros(8, np.int64), ro(40)),
    lambda: _cpu.max_pool2d_backward(PG, z(8), None, z(40)),
    # gemm
    lambda: _cpu.gemm(False, False, z(3, 0), z(0, 4), z(3, 4)),
    lambda: _cpu.gemm(True, True, z(0, 3), z(4, 0), z(3, 4), 1.0, 1.0),
    lambda: _cpu.gemm(False, False, z(3, 2), z(3, 4), z(3, 4)),
    lambda: _cpu.gemm(False, False, z(3, 2), z(2, 4), z(4, 3)),
    lambda: _cpu.gemm(False, False, z(3), z(2, 4), z(3, 4)),
    lambda: _cpu.gemm(False, False, z(3, 4)[:, ::2], z(2, 4), z(3, 4)),
    lambda: _cpu.gemm(False, False, z(3, 2), z(2, 4), ro(3, 4)),
    lambda: _cpu.gemm(False, False, z(3, 2), z(2, 4, dtype=f64), z(3, 4)),
    lambda: _cpu.gemm(False, False, None, z(2, 4), z(3, 4)),
    # relu
    lambda: _cpu.relu_forward(z(10), z(9)),
    lambda: _cpu.relu_forward(z(10), ro(10)),
    lambda: _cpu.relu_forward(z(20)[::2], z(10)),
    lambda: _cpu.relu_forward(z(10), z(10, dtype=f64)),
    lambda: _cpu.relu_forward(None, None),
    lambda: _cpu.relu_backward(z(10), z(9), z(10)),
    lambda: _cpu.relu_backward(z(10), z(10), ro(10)),
    lambda: _cpu.relu_backward(z(10), z(10, dtype=f64), z(10)),
    # public ops with odd arguments
    lambda: ops.relu_forward(None),
    lambda: ops.max_pool2d_forward(z(1, 1, 4, 4), np.array([2, 2]), np.array([2, 2])),
    lambda: ops.max_pool2d_backward(z(1, 1, 2, 2), np.full((1, 1, 2, 2), 99, np.int64), (1, 1, 4, 4), 2),
    lambda: ops.conv2d_backward_data(z(1, 3, 2, 3), z(3, 2, 3, 3), (1, 2, 4, 5), padding=(BIG, 0)),
    lambda: ops.conv2d_forward(z(1, 2, 4, 5), z(3, 2, 3, 3), stride=BIG),
    lambda: ops.gemm(z(2 ** 20, 0), z(0, 2 ** 20)[:, :1]),
]
raised = 0
for i, call in enumerate(calls):
    try:
        call()
    except Exception:
        raised += 1
print("survived %d hostile calls (%d raised)" % (len(calls), raised))
'''


def test_hostile_calls_never_crash_the_interpreter():
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(HOSTILE)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    assert "survived" in proc.stdout


# ------------------------------------------------------------------ 2**31 and beyond

BIG = 2**31


@pytest.mark.parametrize("kwargs, same, rows, cols", [
    (dict(stride=(BIG, 1)), dict(stride=(5, 1)), 1, 6),      # one output row
    (dict(stride=(1, BIG)), dict(stride=(1, 9)), 1, 1),      # one output column
    (dict(dilation=(1, BIG)), dict(), 1, 6),                 # one-tap kernel width
    (dict(stride=(2, BIG), dilation=(1, BIG)), dict(stride=(2, 7)), 1, 1)])
def test_conv_stride_or_dilation_that_cannot_matter_is_accepted(kwargs, same, rows, cols):
    """A stride on an axis with one output, or a dilation of a one-tap kernel, changes
    nothing: any size is accepted (as PyTorch does), giving the small value's result."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 5, 6))
    w = rng.standard_normal((3, 2, 5, 1))
    y = ops.conv2d_forward(x, w, **kwargs)
    assert y.shape == (1, 3, rows, cols)
    np.testing.assert_array_equal(y, ops.conv2d_forward(x, w, **same))


def test_pool_stride_that_cannot_matter_is_accepted():
    x = np.random.default_rng(1).standard_normal((1, 2, 5, 6))
    np.testing.assert_array_equal(ops.max_pool2d_forward(x, 2, stride=BIG),
                                  ops.max_pool2d_forward(x, 2, stride=6))
    np.testing.assert_array_equal(ops.avg_pool2d_forward(x, 2, stride=(BIG, 1)),
                                  ops.avg_pool2d_forward(x, 2, stride=(6, 1)))


@pytest.mark.parametrize("call, name", [
    (lambda x, w: ops.conv2d_forward(x, w, padding=BIG), "padding"),
    (lambda x, w: ops.conv2d_forward(x, w, dilation=BIG), "dilation"),
    (lambda x, w: ops.avg_pool2d_forward(x, 2, divisor_override=BIG), "divisor_override"),
    (lambda x, w: ops.avg_pool2d_forward(x, 2, divisor_override=-BIG), "divisor_override"),
])
def test_geometry_values_the_kernels_cannot_take_are_refused_by_name(call, name):
    x, w = np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 2, 2))
    with pytest.raises(ValueError, match=name):
        call(x, w)
