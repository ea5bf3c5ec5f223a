"""conv_transpose2d on raw arrays, built on the convolution kernels.

A transposed convolution is the adjoint of a convolution: with weight (C_in, C_out /
groups, kh, kw) read as a convolution weight from C_out to C_in channels, its forward is
that convolution's data gradient, its data gradient is the convolution's forward, and
its weight gradient is the convolution's weight gradient with input and upstream
gradient swapped. So it runs on exactly the same kernels (and at their speed).
"""
from typing import Sequence, Tuple

import numpy as np

from . import _args
from ._dispatch import backend, nthreads
from .conv import (conv2d_backward_bias, conv2d_backward_data, conv2d_backward_weight,
                   conv2d_forward, conv2d_geometry)


def _int_pair(value, name: str, minimum: int) -> Tuple[int, int]:
    if isinstance(value, str):
        raise TypeError("%s must be an int or a pair of ints for conv_transpose2d "
                        "(no 'same'/'valid'), got %r" % (name, value))
    return _args.pair(value, name, minimum)


@_args.cached_geometry
def conv_transpose2d_geometry(x_shape: Sequence[int], w_shape: Sequence[int], stride=1,
                              padding=0, output_padding=0, groups: int = 1, dilation=1):
    """Validate a transposed convolution (PyTorch's rules) and return
    (out_shape, conv_input_shape): out_shape = (N, C_out, H_out, W_out) with
    H_out = (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1,
    and conv_input_shape the shape that the adjoint convolution of `out_shape` produces
    (x's shape, taller or wider by whole rows where output_padding >= stride)."""
    if len(x_shape) != 4:
        raise ValueError("input must be 4-D (N, C_in, H, W), got shape %s" % (tuple(x_shape),))
    if len(w_shape) != 4:
        raise ValueError("weight must be 4-D (C_in, C_out/groups, KH, KW), got shape %s"
                         % (tuple(w_shape),))
    n, c_in, h, w = (int(v) for v in x_shape)
    w_in, c_out_g, kh, kw = (int(v) for v in w_shape)
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError("groups must be an int >= 1, got %r" % (groups,))
    groups = int(groups)
    if w_in != c_in:
        raise ValueError("weight of shape %s expects %d input channels (weight.shape[0]), "
                         "but input of shape %s has %d"
                         % (tuple(w_shape), w_in, tuple(x_shape), c_in))
    if c_in % groups:
        raise ValueError("groups=%d must divide the input channels %d" % (groups, c_in))
    if min(c_out_g, kh, kw) < 1 or min(h, w, c_in) < 1:
        raise ValueError("input %s and weight %s must have no zero-sized dimension"
                         % (tuple(x_shape), tuple(w_shape)))
    if n < 1:
        raise ValueError("input has an empty batch (shape %s); batch size must be >= 1"
                         % (tuple(x_shape),))
    sh, sw = _int_pair(stride, "stride", 1)
    ph, pw = _int_pair(padding, "padding", 0)
    oph, opw = _int_pair(output_padding, "output_padding", 0)
    dh, dw = _int_pair(dilation, "dilation", 1)
    if not (oph < sh or oph < dh) or not (opw < sw or opw < dw):
        raise ValueError("output_padding must be smaller than either stride or dilation, got "
                         "output_padding=%r, stride=%r, dilation=%r"
                         % ((oph, opw), (sh, sw), (dh, dw)))
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    if oh < 1 or ow < 1:
        raise ValueError("conv_transpose2d output size (%d, %d) is too small: input %s, "
                         "kernel %s, stride %s, padding %s" % (oh, ow, (h, w), (kh, kw),
                                                               (sh, sw), (ph, pw)))
    out_shape = (n, c_out_g * groups, oh, ow)
    conv_w_shape = (c_in, c_out_g, kh, kw)
    _, conv_out = conv2d_geometry(out_shape, conv_w_shape, (sh, sw), (ph, pw), (dh, dw),
                                  groups)
    return out_shape, conv_out


def _options(stride, padding, dilation):
    return (_int_pair(stride, "stride", 1), _int_pair(padding, "padding", 0),
            _int_pair(dilation, "dilation", 1))


def _grow(xp, a, shape):
    """a placed at the top-left of a zero array of `shape` (a itself when it fits)."""
    if tuple(a.shape) == tuple(shape):
        return a
    big = xp.zeros(shape, dtype=a.dtype)
    big[:, :, :a.shape[2], :a.shape[3]] = a
    return big


def _add_channel_bias(xp, y, bias):
    """y += bias[c] in place, through the per-channel affine map of batch norm's
    evaluation kernel (mean 0, invstd 1, no weight: y * 1 + bias, exact), one native
    pass."""
    n, c = y.shape[:2]
    s = y.size // (n * c)
    zeros, ones = xp.zeros(c, dtype=y.dtype), xp.ones(c, dtype=y.dtype)
    return backend(xp).batch_norm_forward_eval((n, c, s), y, zeros, ones, None, bias, False,
                                               y, nthreads())


def conv_transpose2d_forward(x, weight, bias=None, stride=1, padding=0, output_padding=0,
                             groups: int = 1, dilation=1):
    """y = conv_transpose2d(x, weight) + bias (PyTorch semantics and argument order):
    x (N, C_in, H, W), weight (C_in, C_out / groups, kh, kw), bias (C_out,)."""
    xp = _args.array_module(x, weight, bias)
    x = _args.float_array(x, "input", 4)
    weight = _args.float_array(weight, "weight", 4)
    _args.same_dtype("input", x, "weight", weight)
    out_shape, conv_out = conv_transpose2d_geometry(tuple(x.shape), tuple(weight.shape),
                                                    stride, padding, output_padding, groups,
                                                    dilation)
    if bias is not None:
        bias = _args.float_array(bias, "bias", 1)
        _args.same_dtype("input", x, "bias", bias)
        if bias.shape[0] != out_shape[1]:
            raise ValueError("bias must have shape (%d,), got %s"
                             % (out_shape[1], tuple(bias.shape)))
    s, p, d = _options(stride, padding, dilation)
    y = conv2d_backward_data(_grow(xp, x, conv_out), weight, out_shape, s, p, d, groups)
    if bias is not None:
        _add_channel_bias(xp, y, bias)
    return y


def conv_transpose2d_backward_data(grad_output, weight, input_shape: Sequence[int], stride=1,
                                   padding=0, output_padding=0, groups: int = 1, dilation=1):
    """Gradient with respect to the input: the convolution of grad_output by weight."""
    grad_output = _args.float_array(grad_output, "grad_output", 4)
    weight = _args.float_array(weight, "weight", 4)
    out_shape, conv_out = conv_transpose2d_geometry(tuple(input_shape), tuple(weight.shape),
                                                    stride, padding, output_padding, groups,
                                                    dilation)
    _expect_shape(grad_output, out_shape)
    s, p, d = _options(stride, padding, dilation)
    dx = conv2d_forward(grad_output, weight, None, s, p, d, groups)
    if tuple(conv_out) != tuple(input_shape):   # rows added for output_padding >= stride
        dx = _args.float_array(dx[:, :, :input_shape[2], :input_shape[3]], "dx")
    return dx


def conv_transpose2d_backward_weight(x, grad_output, weight_shape: Sequence[int], stride=1,
                                     padding=0, output_padding=0, groups: int = 1,
                                     dilation=1):
    """Gradient with respect to the weight (C_in, C_out / groups, kh, kw): the
    convolution's weight gradient with grad_output as its input and x as its upstream
    gradient."""
    xp = _args.array_module(x, grad_output)
    x = _args.float_array(x, "input", 4)
    grad_output = _args.float_array(grad_output, "grad_output", 4)
    _args.same_dtype("input", x, "grad_output", grad_output)
    out_shape, conv_out = conv_transpose2d_geometry(tuple(x.shape), tuple(weight_shape),
                                                    stride, padding, output_padding, groups,
                                                    dilation)
    _expect_shape(grad_output, out_shape)
    s, p, d = _options(stride, padding, dilation)
    return conv2d_backward_weight(grad_output, _grow(xp, x, conv_out), tuple(weight_shape),
                                  s, p, d, groups)


def conv_transpose2d_backward_bias(grad_output):
    """Gradient with respect to the bias: grad_output summed over (N, H, W)."""
    return conv2d_backward_bias(grad_output)


def _expect_shape(grad_output, shape) -> None:
    if tuple(grad_output.shape) != tuple(shape):
        raise ValueError("grad_output must have shape %s for this transposed convolution, "
                         "got %s" % (tuple(shape), tuple(grad_output.shape)))
