"""max_pool2d: forward with argmax indices, and its backward, on raw arrays."""
from typing import Sequence, Tuple

import numpy as np

from . import _args
from ._dispatch import backend, nthreads


def _pool_input(x_shape: Sequence[int]) -> Tuple[int, int, int, int]:
    """(n, c, h, w) of a pooling input: 4-D with no empty dimension."""
    if len(x_shape) != 4:
        raise ValueError("input must be 4-D (N, C, H, W), got shape %s" % (tuple(x_shape),))
    n, c, h, w = (int(v) for v in x_shape)
    if n < 1:
        raise ValueError("input has an empty batch (shape %s); batch size must be >= 1"
                         % (tuple(x_shape),))
    if min(c, h, w) < 1:
        raise ValueError("input must have no zero-sized dimension, got shape %s"
                         % (tuple(x_shape),))
    return n, c, h, w


def _pool_windows(kernel_size, stride, padding) -> Tuple[int, int, int, int, int, int]:
    """(kh, kw, sh, sw, ph, pw) of a pooling's options: stride defaults to the kernel
    (None or an empty list, as torch), padding at most half the kernel."""
    kh, kw = _args.pair(kernel_size, "kernel_size", 1)
    no_stride = stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)
    sh, sw = (kh, kw) if no_stride else _args.pair(stride, "stride", 1)
    ph, pw = _args.pair(padding, "padding", 0)
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError("padding %r must be at most half of kernel_size %r"
                         % ((ph, pw), (kh, kw)))
    return kh, kw, sh, sw, ph, pw


@_args.cached_geometry
def max_pool2d_geometry(x_shape: Sequence[int], kernel_size, stride=None, padding=0,
                        dilation=1, ceil_mode: bool = False):
    """Validate a max pooling's options; return (geom, out_shape).

    geom is the 14-int tuple the kernels take
    (n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw).
    """
    n, c, h, w = _pool_input(x_shape)
    kh, kw, sh, sw, ph, pw = _pool_windows(kernel_size, stride, padding)
    dh, dw = _args.pair(dilation, "dilation", 1)
    # ceil mode may overhang the padded input, as in PyTorch: the kernels clip windows
    oh = _args.pool_output_size(h, ph, kh, sh, dh, bool(ceil_mode), "height", overhang=True)
    ow = _args.pool_output_size(w, pw, kw, sw, dw, bool(ceil_mode), "width", overhang=True)
    sh, dh = _args.unused_to_one(oh, kh, sh, dh)
    sw, dw = _args.unused_to_one(ow, kw, sw, dw)
    _args.below_2_31(stride=(sh, sw), dilation=(dh, dw))
    geom = (n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw)
    return geom, (n, c, oh, ow)


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1,
                       ceil_mode: bool = False, *, out=None, indices=None,
                       return_indices: bool = True):
    """(y, indices): window maxima and the flat (row * W + col) argmax in each input plane.

    With return_indices=False only y is computed and returned.
    """
    xp = _args.array_module(x, out, indices)
    x = _args.float_array(x, "input", 4)
    geom, out_shape = max_pool2d_geometry(x.shape, kernel_size, stride, padding, dilation,
                                          ceil_mode)
    y = _args.check_out(out, out_shape, x.dtype, xp)
    idx = _args.check_out(indices, out_shape, np.int64, xp, "indices") if return_indices \
        else None
    backend(xp).max_pool2d_forward(geom, x, y, idx, nthreads())
    return (y, idx) if return_indices else y


def max_pool2d_backward(grad_output, indices, input_shape: Sequence[int], kernel_size,
                        stride=None, padding=0, dilation=1, ceil_mode: bool = False, *,
                        out=None, check_indices: bool = True):
    """Gradient of max_pool2d with respect to its input, given the forward's indices.

    check_indices=False skips the Python-side range check, a full pass over indices, for
    indices that come straight from max_pool2d_forward (autograd passes those); the
    native layer still refuses out-of-range indices, with a terser message.
    """
    xp = _args.array_module(grad_output, indices, out)
    grad_output = _args.float_array(grad_output, "grad_output", 4)
    geom, out_shape = max_pool2d_geometry(input_shape, kernel_size, stride, padding, dilation,
                                          ceil_mode)
    _expect("grad_output", grad_output.shape, out_shape)
    if not hasattr(indices, "dtype") or indices.dtype != np.int64:
        raise TypeError("indices must be an int64 array, got %s"
                        % getattr(indices, "dtype", type(indices).__name__))
    _expect("indices", indices.shape, out_shape)
    plane = geom[2] * geom[3]
    lo, hi = (int(indices.min()), int(indices.max())) if check_indices else (0, 0)
    if lo < 0 or hi >= plane:
        raise ValueError("indices must lie in [0, %d) (H*W of input_shape %s), got values "
                         "in [%d, %d]" % (plane, tuple(input_shape), lo, hi))
    if not indices.flags.c_contiguous:
        indices = xp.ascontiguousarray(indices)
    dx = _args.check_out(out, tuple(input_shape), grad_output.dtype, xp)
    return backend(xp).max_pool2d_backward(geom, grad_output, indices, dx, nthreads())


def _expect(name: str, shape: Tuple[int, ...], expected: Tuple[int, ...]) -> None:
    if tuple(shape) != tuple(expected):
        raise ValueError("%s must have shape %s for this pooling, got %s"
                         % (name, tuple(expected), tuple(shape)))


_PLAIN_2X2 = (2, 2, 2, 2, 0, 0, 1, 1)   # geom[6:]: kernel, stride, padding, dilation


def max_pool2d_is_2x2(x_shape: Sequence[int], kernel_size, stride=None, padding=0,
                      dilation=1, ceil_mode: bool = False) -> bool:
    """True when these max_pool2d options are 2x2 windows at stride 2 with no padding
    or dilation and floor-mode output: the geometry of max_pool2x2_forward."""
    geom, _ = max_pool2d_geometry(x_shape, kernel_size, stride, padding, dilation,
                                  ceil_mode)
    return geom[6:] == _PLAIN_2X2 and geom[4:6] == (geom[2] // 2, geom[3] // 2)


def _pool2x2_geometry(shape: Sequence[int], name: str):
    if len(shape) != 4 or min(shape[2:]) < 2:
        raise ValueError("%s must be 4-D (N, C, H, W) with H, W >= 2, got shape %s"
                         % (name, tuple(shape)))
    return max_pool2d_geometry(tuple(shape), 2)


def max_pool2x2_forward(x, *, out=None, positions=None):
    """(y, positions): max_pool2d(x, 2)'s values, and each winner's place in its 2x2
    window as uint8 (row * 2 + column), a quarter of the int64 indices' traffic."""
    xp = _args.array_module(x, out, positions)
    x = _args.float_array(x, "input", 4)
    geom, out_shape = _pool2x2_geometry(x.shape, "input")
    y = _args.check_out(out, out_shape, x.dtype, xp)
    pos = _args.check_out(positions, out_shape, np.uint8, xp, "positions")
    backend(xp).max_pool2x2_forward(geom, x, y, pos, nthreads())
    return y, pos


def max_pool2x2_relu_backward(grad_output, output, positions, input_shape: Sequence[int],
                              *, out=None, check_positions: bool = True):
    """Gradient of max_pool2d(relu(x), 2) with respect to x, from the pooled output and
    max_pool2x2_forward's positions: relu_backward(grad_output, output) routed to each
    window's winner, 0 elsewhere (bit-identical to relu_backward + max_pool2d_backward).

    positions hold each window's winner as its row-major slot 0..3; check_positions=False
    skips that range check (a pass over positions) for positions straight from the
    forward, as autograd passes them.
    """
    xp = _args.array_module(grad_output, output, positions, out)
    grad_output = _args.float_array(grad_output, "grad_output", 4)
    output = _args.float_array(output, "output", 4)
    _args.same_dtype("grad_output", grad_output, "output", output)
    geom, out_shape = _pool2x2_geometry(input_shape, "input_shape")
    _expect("grad_output", grad_output.shape, out_shape)
    _expect("output", output.shape, out_shape)
    if not hasattr(positions, "dtype") or positions.dtype != np.uint8:
        raise TypeError("positions must be a uint8 array, got %s"
                        % getattr(positions, "dtype", type(positions).__name__))
    _expect("positions", positions.shape, out_shape)
    top = int(positions.max()) if check_positions and positions.size else 0
    if top > 3:
        raise ValueError("positions must lie in [0, 3] (a 2x2 window's row-major slot), "
                         "got values up to %d" % top)
    if not positions.flags.c_contiguous:
        positions = xp.ascontiguousarray(positions)
    dx = _args.check_out(out, tuple(input_shape), grad_output.dtype, xp)
    if out is not None:
        grad_output, output = (_args.unaliased(a, out, xp) for a in (grad_output, output))
    return backend(xp).max_pool2x2_relu_backward(geom, grad_output, output, positions, dx,
                                                 nthreads())


# ------------------------------------------------------------------ average pooling

@_args.cached_geometry
def avg_pool2d_geometry(x_shape: Sequence[int], kernel_size, stride=None, padding=0,
                        ceil_mode: bool = False, count_include_pad: bool = True,
                        divisor_override=None):
    """Validate an average pooling's options; return (geom, out_shape).

    geom is the 14-int tuple the kernels take (n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw,
    count_include_pad as 0/1, divisor_override or 0). As in PyTorch, a ceil-mode window
    may reach past the padded input (it is clipped, and the overhang is never counted).
    """
    n, c, h, w = _pool_input(x_shape)
    kh, kw, sh, sw, ph, pw = _pool_windows(kernel_size, stride, padding)
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(divisor_override,
                                                                (int, np.integer)):
            raise TypeError("divisor_override must be an int or None, got %r"
                            % (divisor_override,))
        if divisor_override == 0:
            raise ValueError("divisor_override must be nonzero, got 0")
    oh = _args.pool_output_size(h, ph, kh, sh, 1, bool(ceil_mode), "height", overhang=True)
    ow = _args.pool_output_size(w, pw, kw, sw, 1, bool(ceil_mode), "width", overhang=True)
    sh, sw = _args.unused_to_one(oh, kh, sh, 1)[0], _args.unused_to_one(ow, kw, sw, 1)[0]
    _args.below_2_31(stride=(sh, sw), divisor_override=(abs(int(divisor_override or 0)),))
    geom = (n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, int(bool(count_include_pad)),
            int(divisor_override or 0))
    return geom, (n, c, oh, ow)


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                       count_include_pad: bool = True, divisor_override=None, *, out=None):
    """Window averages of a 4-D array, with PyTorch's divisor rules: padding counts when
    count_include_pad, a ceil-mode window's overhang past the padding never does, and a
    nonzero divisor_override replaces the count."""
    xp = _args.array_module(x, out)
    x = _args.float_array(x, "input", 4)
    geom, out_shape = avg_pool2d_geometry(x.shape, kernel_size, stride, padding, ceil_mode,
                                          count_include_pad, divisor_override)
    y = _args.check_out(out, out_shape, x.dtype, xp)
    return backend(xp).avg_pool2d_forward(geom, x, y, nthreads())


def avg_pool2d_backward(grad_output, input_shape: Sequence[int], kernel_size, stride=None,
                        padding=0, ceil_mode: bool = False, count_include_pad: bool = True,
                        divisor_override=None, *, out=None):
    """Gradient of avg_pool2d with respect to its input: each grad_output / its divisor,
    added to every input of its window."""
    xp = _args.array_module(grad_output, out)
    grad_output = _args.float_array(grad_output, "grad_output", 4)
    geom, out_shape = avg_pool2d_geometry(tuple(input_shape), kernel_size, stride, padding,
                                          ceil_mode, count_include_pad, divisor_override)
    _expect("grad_output", grad_output.shape, out_shape)
    dx = _args.check_out(out, tuple(input_shape), grad_output.dtype, xp)
    if out is not None:
        grad_output = _args.unaliased(grad_output, out, xp)
    return backend(xp).avg_pool2d_backward(geom, grad_output, dx, nthreads())


# ------------------------------------------------------------------ adaptive pooling

def _output_length(value, default: int) -> int:
    """One entry of an adaptive pool's output_size: an int >= 1, or None for `default`."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError("output_size must be an int, None or a pair of them, got %r"
                        % (value,))
    if value < 1:
        raise ValueError("output_size must be >= 1 (or None), got %r" % (value,))
    return int(value)


@_args.cached_geometry
def adaptive_pool2d_geometry(x_shape: Sequence[int], output_size):
    """Validate an adaptive pooling's output_size (an int, or a pair whose None entries
    keep the input's size); return (geom, out_shape), geom = (n, c, h, w, oh, ow)."""
    n, c, h, w = _pool_input(x_shape)
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != 2:
            raise ValueError("output_size must be an int or a pair, got %r" % (output_size,))
        oh, ow = _output_length(output_size[0], h), _output_length(output_size[1], w)
    elif output_size is None:
        raise TypeError("output_size must be an int or a pair (entries may be None), got None")
    else:
        oh = ow = _output_length(output_size, None)
    return (n, c, h, w, oh, ow), (n, c, oh, ow)


def _adaptive_grad_geometry(grad_output, input_shape: Sequence[int]):
    """The geometry of an adaptive pooling's backward, from grad_output's (oh, ow)."""
    geom, out_shape = adaptive_pool2d_geometry(tuple(input_shape),
                                               tuple(int(v) for v in grad_output.shape[2:]))
    _expect("grad_output", grad_output.shape, out_shape)
    return geom


def adaptive_avg_pool2d_forward(x, output_size, *, out=None):
    """Means over PyTorch's adaptive windows: output i of an axis averages the inputs
    [floor(i * size / out), ceil((i + 1) * size / out))."""
    xp = _args.array_module(x, out)
    x = _args.float_array(x, "input", 4)
    geom, out_shape = adaptive_pool2d_geometry(x.shape, output_size)
    y = _args.check_out(out, out_shape, x.dtype, xp)
    return backend(xp).adaptive_avg_pool2d_forward(geom, x, y, nthreads())


def adaptive_avg_pool2d_backward(grad_output, input_shape: Sequence[int], *, out=None):
    """Gradient of adaptive_avg_pool2d (its output size is grad_output's): each gradient
    divided by its window's size, added to the window's inputs."""
    xp = _args.array_module(grad_output, out)
    grad_output = _args.float_array(grad_output, "grad_output", 4)
    geom = _adaptive_grad_geometry(grad_output, input_shape)
    dx = _args.check_out(out, tuple(input_shape), grad_output.dtype, xp)
    if out is not None:
        grad_output = _args.unaliased(grad_output, out, xp)
    return backend(xp).adaptive_avg_pool2d_backward(geom, grad_output, dx, nthreads())


def adaptive_max_pool2d_forward(x, output_size, *, out=None, indices=None,
                                return_indices: bool = True):
    """(y, indices): maxima over PyTorch's adaptive windows and their flat (row * W + col)
    positions in each input plane (max_pool2d's NaN and tie rules). With
    return_indices=False only y is computed and returned."""
    xp = _args.array_module(x, out, indices)
    x = _args.float_array(x, "input", 4)
    geom, out_shape = adaptive_pool2d_geometry(x.shape, output_size)
    y = _args.check_out(out, out_shape, x.dtype, xp)
    idx = _args.check_out(indices, out_shape, np.int64, xp, "indices") if return_indices \
        else None
    backend(xp).adaptive_max_pool2d_forward(geom, x, y, idx, nthreads())
    return (y, idx) if return_indices else y


def adaptive_max_pool2d_backward(grad_output, indices, input_shape: Sequence[int], *,
                                 out=None, check_indices: bool = True):
    """Gradient of adaptive_max_pool2d from the forward's indices: each gradient added at
    its window's argmax. check_indices=False skips the Python range check (as in
    max_pool2d_backward; the native layer still refuses out-of-range indices)."""
    xp = _args.array_module(grad_output, indices, out)
    grad_output = _args.float_array(grad_output, "grad_output", 4)
    geom = _adaptive_grad_geometry(grad_output, input_shape)
    if not hasattr(indices, "dtype") or indices.dtype != np.int64:
        raise TypeError("indices must be an int64 array, got %s"
                        % getattr(indices, "dtype", type(indices).__name__))
    _expect("indices", indices.shape, grad_output.shape)
    plane = geom[2] * geom[3]
    lo, hi = (int(indices.min()), int(indices.max())) if check_indices else (0, 0)
    if lo < 0 or hi >= plane:
        raise ValueError("indices must lie in [0, %d) (H*W of input_shape %s), got values "
                         "in [%d, %d]" % (plane, tuple(input_shape), lo, hi))
    if not indices.flags.c_contiguous:
        indices = xp.ascontiguousarray(indices)
    dx = _args.check_out(out, tuple(input_shape), grad_output.dtype, xp)
    if out is not None:
        grad_output = _args.unaliased(grad_output, out, xp)
    return backend(xp).adaptive_max_pool2d_backward(geom, grad_output, indices, dx,
                                                    nthreads())
