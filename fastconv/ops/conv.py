"""conv2d: forward, data gradient, weight gradient and bias gradient on raw arrays."""
from typing import Sequence, Tuple, Union

import numpy as np

from . import _args
from ._dispatch import backend, nthreads
from .pool import max_pool2x2_forward

Padding = Union[int, Sequence[int], str]


@_args.cached_geometry
def conv2d_geometry(x_shape: Sequence[int], w_shape: Sequence[int], stride=1,
                    padding: Padding = 0, dilation=1, groups: int = 1):
    """Validate a convolution's shapes and options.

    Returns (geom, out_shape): geom is the 16-int tuple the kernels take
    (n, c_in, h, w, c_out, kh, kw, oh, ow, sh, sw, pad_top, pad_left, dh, dw, groups).
    """
    if len(x_shape) != 4:
        raise ValueError("input must be 4-D (N, C_in, H, W), got shape %s" % (tuple(x_shape),))
    if len(w_shape) != 4:
        raise ValueError("weight must be 4-D (C_out, C_in/groups, KH, KW), got shape %s"
                         % (tuple(w_shape),))
    n, c_in, h, w = (int(v) for v in x_shape)
    c_out, c_per_group, kh, kw = (int(v) for v in w_shape)
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError("groups must be an int >= 1, got %r" % (groups,))
    groups = int(groups)
    if c_in % groups:
        raise ValueError("groups=%d must divide the input channels %d" % (groups, c_in))
    if c_out % groups:
        raise ValueError("groups=%d must divide the output channels (weight.shape[0]=%d)"
                         % (groups, c_out))
    if c_per_group * groups != c_in:
        raise ValueError("weight of shape %s expects %d input channels (weight.shape[1] * "
                         "groups), but input of shape %s has %d"
                         % (tuple(w_shape), c_per_group * groups, tuple(x_shape), c_in))
    if min(c_out, kh, kw) < 1 or min(h, w) < 1:
        raise ValueError("input %s and weight %s must have no zero-sized dimension"
                         % (tuple(x_shape), tuple(w_shape)))
    if n < 1:
        raise ValueError("input has an empty batch (shape %s); batch size must be >= 1"
                         % (tuple(x_shape),))
    sh, sw = _args.pair(stride, "stride", 1)
    dh, dw = _args.pair(dilation, "dilation", 1)
    top, bottom, left, right = _args.conv_padding(padding, (kh, kw), (sh, sw), (dh, dw))
    oh = _args.conv_output_size(h, top, bottom, kh, sh, dh, "height")
    ow = _args.conv_output_size(w, left, right, kw, sw, dw, "width")
    sh, dh = _args.unused_to_one(oh, kh, sh, dh)
    sw, dw = _args.unused_to_one(ow, kw, sw, dw)
    _args.below_2_31(stride=(sh, sw), padding=(top, bottom, left, right), dilation=(dh, dw))
    geom = (n, c_in, h, w, c_out, kh, kw, oh, ow, sh, sw, top, left, dh, dw, groups)
    return geom, (n, c_out, oh, ow)


def conv2d_forward(x, weight, bias=None, stride=1, padding: Padding = 0, dilation=1,
                   groups: int = 1, *, relu: bool = False, out=None):
    """y = conv2d(x, weight) + bias (PyTorch semantics), with ReLU fused when relu=True."""
    xp = _args.array_module(x, weight, bias, out)
    x = _args.float_array(x, "input", 4)
    weight = _args.float_array(weight, "weight", 4)
    _args.same_dtype("input", x, "weight", weight)
    geom, out_shape = conv2d_geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    if bias is not None:
        bias = _args.float_array(bias, "bias", 1)
        _args.same_dtype("input", x, "bias", bias)
        if bias.shape[0] != weight.shape[0]:
            raise ValueError("bias must have shape (%d,), got %s"
                             % (weight.shape[0], tuple(bias.shape)))
    y = _args.check_out(out, out_shape, x.dtype, xp)
    if out is not None:
        x, weight, bias = (_args.unaliased(a, out, xp) for a in (x, weight, bias))
    return backend(xp).conv2d_forward(geom, x, weight, bias, y, bool(relu), nthreads())


def conv2d_relu_max_pool2x2_forward(x, weight, bias=None, stride=1, padding: Padding = 0,
                                    dilation=1, groups: int = 1):
    """(pooled, positions) = max_pool2x2_forward(conv2d_forward(..., relu=True)): one
    native pass that never writes the conv output where a fused kernel covers the layer
    (float32 layers of the direct kernel), the two calls elsewhere; the same results."""
    xp = _args.array_module(x, weight, bias)
    x = _args.float_array(x, "input", 4)
    weight = _args.float_array(weight, "weight", 4)
    _args.same_dtype("input", x, "weight", weight)
    geom, out_shape = conv2d_geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    fused = getattr(backend(xp), "conv2d_relu_max_pool2x2", None)
    if fused is not None and bias is not None:
        bias = _args.float_array(bias, "bias", 1)
        _args.same_dtype("input", x, "bias", bias)
        fused = fused if bias.shape[0] == weight.shape[0] else None   # conv2d_forward raises
    if fused is not None and min(out_shape[2:]) >= 2:
        pooled_shape = out_shape[:2] + (out_shape[2] // 2, out_shape[3] // 2)
        pooled = xp.empty(pooled_shape, dtype=x.dtype)
        positions = xp.empty(pooled_shape, dtype=np.uint8)
        if fused(geom, x, weight, bias, pooled, positions, nthreads()):
            return pooled, positions
    y = conv2d_forward(x, weight, bias, stride, padding, dilation, groups, relu=True)
    return max_pool2x2_forward(y)


def conv2d_backward_data(grad_output, weight, input_shape: Sequence[int], stride=1,
                         padding: Padding = 0, dilation=1, groups: int = 1, *, out=None):
    """Gradient of conv2d with respect to its input, of shape `input_shape`."""
    xp = _args.array_module(grad_output, weight, out)
    grad_output = _args.float_array(grad_output, "grad_output", 4)
    weight = _args.float_array(weight, "weight", 4)
    _args.same_dtype("grad_output", grad_output, "weight", weight)
    geom, out_shape = conv2d_geometry(input_shape, weight.shape, stride, padding, dilation,
                                      groups)
    _expect_shape("grad_output", grad_output, out_shape)
    dx = _args.check_out(out, tuple(input_shape), grad_output.dtype, xp)
    if out is not None:
        grad_output, weight = (_args.unaliased(a, out, xp) for a in (grad_output, weight))
    return backend(xp).conv2d_backward_data(geom, grad_output, weight, dx, nthreads())


def conv2d_backward_weight(x, grad_output, weight_shape: Sequence[int], stride=1,
                           padding: Padding = 0, dilation=1, groups: int = 1, *, out=None):
    """Gradient of conv2d with respect to its weight, of shape `weight_shape`."""
    xp = _args.array_module(x, grad_output, out)
    x = _args.float_array(x, "input", 4)
    grad_output = _args.float_array(grad_output, "grad_output", 4)
    _args.same_dtype("input", x, "grad_output", grad_output)
    geom, out_shape = conv2d_geometry(x.shape, weight_shape, stride, padding, dilation, groups)
    _expect_shape("grad_output", grad_output, out_shape)
    dw = _args.check_out(out, tuple(weight_shape), x.dtype, xp)
    if out is not None:
        x, grad_output = (_args.unaliased(a, out, xp) for a in (x, grad_output))
    return backend(xp).conv2d_backward_weight(geom, x, grad_output, dw, nthreads())


def conv2d_backward_bias(grad_output, *, out=None):
    """Gradient of conv2d with respect to its bias: dy summed over (N, H, W)."""
    xp = _args.array_module(grad_output, out)
    grad_output = _args.float_array(grad_output, "grad_output", 4)
    n, c, oh, ow = grad_output.shape
    _args.nonempty_batch(grad_output, "grad_output")
    if min(c, oh, ow) < 1:
        raise ValueError("grad_output must have no zero-sized dimension, got shape %s"
                         % (tuple(grad_output.shape),))
    geom = (n, c, oh, ow, c, 1, 1, oh, ow, 1, 1, 0, 0, 1, 1, 1)
    db = _args.check_out(out, (c,), grad_output.dtype, xp)
    grad_output = _args.unaliased(grad_output, out, xp)
    return backend(xp).conv2d_backward_bias(geom, grad_output, db, nthreads())


def _expect_shape(name: str, a, shape: Tuple[int, ...]) -> None:
    if tuple(a.shape) != tuple(shape):
        raise ValueError("%s must have shape %s for this convolution, got %s"
                         % (name, tuple(shape), tuple(a.shape)))
