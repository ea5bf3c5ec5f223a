"""conv2d, max_pool2d and relu declared for the op harness (tests/harness.py): float64
references, gradcheck, PyTorch, native vs generic backend, 1 vs 2 threads."""
import numpy as np

import fastconv.functional as F
from tests.backends.test_generic import ref_conv_forward
from tests.geometries import CONV2D, POOL2D
from tests.harness import Input, OpCase, op_tests

from fastconv.ops import conv2d_geometry, max_pool2d_geometry


def ref_conv2d(x, w, b, stride, padding, dilation, groups):
    geom, _ = conv2d_geometry(x.shape, w.shape, stride, padding, dilation, groups)
    return ref_conv_forward(x, w, b, geom)


def ref_max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode):
    geom, out_shape = max_pool2d_geometry(x.shape, kernel_size, stride, padding, dilation,
                                          ceil_mode)
    n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw = geom
    y = np.full(out_shape, -np.inf)
    for oy in range(oh):
        for ox in range(ow):
            for i in range(kh):
                r = oy * sh - ph + i * dh
                for j in range(kw):
                    col = ox * sw - pw + j * dw
                    if 0 <= r < h and 0 <= col < w:
                        y[:, :, oy, ox] = np.maximum(y[:, :, oy, ox], x[:, :, r, col])
    return y


def _conv_case(i, geometry):
    x_shape, w_shape, stride, padding, dilation, groups = geometry
    return OpCase("conv2d-%d" % i, F.conv2d,
                  [Input(x_shape), Input(w_shape), Input((w_shape[0],))],
                  kwargs=dict(stride=stride, padding=padding, dilation=dilation,
                              groups=groups),
                  ref=ref_conv2d,
                  torch_fn=lambda t, *a, **kw: t.nn.functional.conv2d(*a, **kw),
                  rtol={np.float32: 1e-5})


def _pool_case(i, geometry):
    shape, kernel, stride, padding, dilation, ceil_mode = geometry
    return OpCase("max_pool2d-%d" % i, F.max_pool2d, [Input(shape, "distinct")],
                  kwargs=dict(kernel_size=kernel, stride=stride, padding=padding,
                              dilation=dilation, ceil_mode=ceil_mode),
                  ref=ref_max_pool2d,
                  torch_fn=lambda t, x, **kw: t.nn.functional.max_pool2d(x, **kw))


CASES = ([_conv_case(i, g) for i, g in enumerate(CONV2D)]
         + [_pool_case(i, g) for i, g in enumerate(POOL2D)]
         + [OpCase("relu", F.relu, [Input((3, 4, 5))], ref=lambda x: np.maximum(x, 0),
                   torch_fn=lambda t, x: t.relu(x))])

test_declared_ops = op_tests(CASES)
