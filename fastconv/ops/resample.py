"""Resampling on raw arrays: nearest and bilinear upsampling, padding (constant, reflect,
replicate, circular), grid sampling and affine grids, each with its backward.

PyTorch's source-coordinate rules live here, once for every backend: each op turns its
options into per-axis index maps (and weights) that the kernels apply to every plane
(fastconv/resample.h). The maps are tiny (one entry per output row and column) and
cached, so a layer called with the same shapes pays for them once.
"""
import functools
import math
import numbers
from typing import Optional, Sequence, Tuple

import numpy as np

from . import _args
from ._dispatch import backend, nthreads

Scales = Optional[Sequence[Optional[float]]]

GRID_MODES = {"bilinear": 0, "nearest": 1}
GRID_PADDING_MODES = {"zeros": 0, "border": 1, "reflection": 2}
PAD_MODES = ("constant", "reflect", "replicate", "circular")


# ------------------------------------------------------------------ coordinate maps

def _scale_value(scale: Optional[float], in_size: int, out_size: int, dtype):
    """PyTorch's compute_scales_value<dtype>: 1 / scale when a scale was given (> 0),
    else in_size / out_size, rounded to `dtype`."""
    t = np.dtype(dtype).type
    if scale is not None and scale > 0:
        return t(1.0 / scale)
    return t(in_size) / t(out_size)


@functools.lru_cache(maxsize=256)
def nearest_index_map(in_size: int, out_size: int, scale: Optional[float] = None,
                      exact: bool = False) -> np.ndarray:
    """Input index of each output index along one axis (int64, read-only), as PyTorch's
    nearest (floor(dst * scale), with its shortcuts for sizes equal and doubled) or
    nearest-exact (floor((dst + 0.5) * scale)) modes compute it, in float32."""
    dst = np.arange(out_size, dtype=np.int64)
    if not exact and out_size == in_size:
        src = dst
    elif not exact and out_size == 2 * in_size:
        src = dst >> 1
    else:
        s = _scale_value(scale, in_size, out_size, np.float32)
        if exact:   # (dst + 0.5) * scale in double, then floorf of it as a float
            src_f = np.floor(((dst + 0.5) * float(s)).astype(np.float32))
        else:       # dst * scale in float
            src_f = np.floor(dst.astype(np.float32) * s)
        src = np.minimum(src_f.astype(np.int64), in_size - 1)
    src = np.ascontiguousarray(src, dtype=np.int64)
    src.flags.writeable = False
    return src


@functools.lru_cache(maxsize=256)
def linear_index_map(in_size: int, out_size: int, align_corners: bool,
                     scale: Optional[float], dtype) -> Tuple[np.ndarray, np.ndarray]:
    """((out, 2) int64 input indices, (out, 2) weights of `dtype`) of linear
    interpolation along one axis: PyTorch's area_pixel_compute_source_index and
    guard_index_and_lambda, in the element type (read-only arrays)."""
    t = np.dtype(dtype).type
    dst = np.arange(out_size)
    if out_size == in_size:
        i0 = dst.astype(np.int64)
        i1 = i0
        lam1 = np.zeros(out_size, dtype=t)
    else:
        if align_corners:
            ratio = t(in_size - 1) / t(out_size - 1) if out_size > 1 else t(0)
            real = ratio * dst.astype(t)
        else:
            ratio = _scale_value(scale, in_size, out_size, t)
            real = ratio * (dst.astype(t) + t(0.5)) - t(0.5)
            real = np.where(real < 0, t(0), real)
        # floorf: the index is floored in float whatever the element type
        i0 = np.minimum(np.floor(real.astype(np.float32)).astype(np.int64), in_size - 1)
        lam1 = np.minimum(np.maximum(real - i0.astype(t), t(0)), t(1)).astype(t)
        i1 = i0 + (i0 < in_size - 1)
    index = np.ascontiguousarray(np.stack([i0, i1], axis=1), dtype=np.int64)
    weight = np.ascontiguousarray(np.stack([t(1) - lam1, lam1], axis=1), dtype=t)
    index.flags.writeable = False
    weight.flags.writeable = False
    return index, weight


def _on(xp, a):
    """A host map as an array of namespace xp."""
    return a if xp is np else xp.asarray(a)


def _check_scales(scales: Scales) -> Tuple[Optional[float], Optional[float]]:
    if scales is None:
        return (None, None)
    items = tuple(scales)
    if len(items) != 2:
        raise ValueError("scales must be a pair (scale_h, scale_w), got %r" % (scales,))
    out = []
    for s in items:
        if s is not None and (not isinstance(s, numbers.Real) or isinstance(s, bool)
                              or not math.isfinite(s) or s <= 0):
            raise ValueError("scales must hold positive finite numbers or None, got %r"
                             % (scales,))
        out.append(None if s is None else float(s))
    return out[0], out[1]


def _size_pair(size, name: str) -> Tuple[int, int]:
    """A pair of sizes >= 1 (the output or input height and width)."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (size, size)
    try:
        items = tuple(size)
    except TypeError:
        raise TypeError("%s must be an int or a pair of ints, got %r" % (name, size)) from None
    if len(items) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                  for v in items):
        raise TypeError("%s must be an int or a pair of ints, got %r" % (name, size))
    if min(items) < 1:
        raise ValueError("%s must be >= 1 in every dimension, got %r" % (name, size))
    return int(items[0]), int(items[1])


def _input_4d(x, name: str):
    x = _args.float_array(x, name, 4)
    if min(x.shape) < 1:
        raise ValueError("%s must have no zero-sized dimension, got shape %s"
                         % (name, tuple(x.shape)))
    return x


def _input_shape(shape, name: str = "input_shape") -> Tuple[int, int, int, int]:
    items = tuple(int(v) for v in shape)
    if len(items) != 4 or min(items) < 1:
        raise ValueError("%s must be 4 sizes >= 1 (N, C, H, W), got %r" % (name, shape))
    return items


def _expect(name: str, a, shape) -> None:
    if tuple(a.shape) != tuple(shape):
        raise ValueError("%s must have shape %s, got %s" % (name, tuple(shape), tuple(a.shape)))


# ------------------------------------------------------------------ nearest

def _nearest_maps(h, w, oh, ow, scales, exact):
    sh, sw = _check_scales(scales)
    return (nearest_index_map(h, oh, sh, bool(exact)), nearest_index_map(w, ow, sw, bool(exact)))


def upsample_nearest2d_forward(x, output_size, scales: Scales = None, exact: bool = False,
                               *, out=None):
    """Nearest-neighbour resize of (N, C, H, W) to output_size (PyTorch's
    upsample_nearest2d; exact=True is its 'nearest-exact'). scales: the (h, w) scale
    factors the caller asked for, or None to use the size ratio."""
    xp = _args.array_module(x, out)
    x = _input_4d(x, "input")
    n, c, h, w = x.shape
    oh, ow = _size_pair(output_size, "output_size")
    rows, cols = _nearest_maps(h, w, oh, ow, scales, exact)
    y = _args.check_out(out, (n, c, oh, ow), x.dtype, xp)
    x = _args.unaliased(x, out, xp)
    return backend(xp).gather2d_forward((n * c, h, w, oh, ow), _on(xp, rows), _on(xp, cols),
                                        0.0, x, y, nthreads())


def upsample_nearest2d_backward(grad_output, input_shape, scales: Scales = None,
                                exact: bool = False, *, out=None):
    """Gradient of upsample_nearest2d_forward: each input pixel sums the gradients of
    the output pixels that copied it."""
    xp = _args.array_module(grad_output, out)
    grad_output = _input_4d(grad_output, "grad_output")
    n, c, h, w = _input_shape(input_shape)
    oh, ow = grad_output.shape[2:]
    _expect("grad_output", grad_output, (n, c, oh, ow))
    rows, cols = _nearest_maps(h, w, oh, ow, scales, exact)
    dx = _args.check_out(out, (n, c, h, w), grad_output.dtype, xp)
    grad_output = _args.unaliased(grad_output, out, xp)
    return backend(xp).gather2d_backward((n * c, h, w, oh, ow), _on(xp, rows), _on(xp, cols),
                                         grad_output, dx, nthreads())


# ------------------------------------------------------------------ bilinear

def _linear_maps(h, w, oh, ow, align_corners, scales, dtype):
    sh, sw = _check_scales(scales)
    rows, rw = linear_index_map(h, oh, bool(align_corners), sh, np.dtype(dtype))
    cols, cw = linear_index_map(w, ow, bool(align_corners), sw, np.dtype(dtype))
    return rows, cols, rw, cw


def upsample_bilinear2d_forward(x, output_size, align_corners: bool = False,
                                scales: Scales = None, *, out=None):
    """Bilinear resize of (N, C, H, W) to output_size (PyTorch's upsample_bilinear2d,
    without antialiasing). With align_corners the corner pixels' centres map onto each
    other and scales are ignored; without, pixel areas do (scales, when given, set the
    ratio instead of the sizes)."""
    xp = _args.array_module(x, out)
    x = _input_4d(x, "input")
    n, c, h, w = x.shape
    oh, ow = _size_pair(output_size, "output_size")
    rows, cols, rw, cw = _linear_maps(h, w, oh, ow, align_corners, scales, x.dtype)
    y = _args.check_out(out, (n, c, oh, ow), x.dtype, xp)
    x = _args.unaliased(x, out, xp)
    return backend(xp).linear2d_forward((n * c, h, w, oh, ow), _on(xp, rows), _on(xp, cols),
                                        _on(xp, rw), _on(xp, cw), x, y, nthreads())


def upsample_bilinear2d_backward(grad_output, input_shape, align_corners: bool = False,
                                 scales: Scales = None, *, out=None):
    """Gradient of upsample_bilinear2d_forward with respect to its input."""
    xp = _args.array_module(grad_output, out)
    grad_output = _input_4d(grad_output, "grad_output")
    n, c, h, w = _input_shape(input_shape)
    oh, ow = grad_output.shape[2:]
    _expect("grad_output", grad_output, (n, c, oh, ow))
    rows, cols, rw, cw = _linear_maps(h, w, oh, ow, align_corners, scales, grad_output.dtype)
    dx = _args.check_out(out, (n, c, h, w), grad_output.dtype, xp)
    grad_output = _args.unaliased(grad_output, out, xp)
    return backend(xp).linear2d_backward((n * c, h, w, oh, ow), _on(xp, rows), _on(xp, cols),
                                         _on(xp, rw), _on(xp, cw), grad_output, dx,
                                         nthreads())


# ------------------------------------------------------------------ padding

def _pad_amounts(pad, ndim: int) -> Tuple[int, ...]:
    if isinstance(pad, (str, bytes)) or not hasattr(pad, "__len__"):
        raise TypeError("pad must be a sequence of ints (left, right, top, bottom, ...), "
                        "got %r" % (pad,))
    items = tuple(pad)
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items):
        raise TypeError("pad must hold ints, got %r" % (pad,))
    if len(items) % 2:
        raise ValueError("pad must have an even length (pairs from the last dimension "
                         "backwards), got %d values" % len(items))
    if len(items) // 2 > ndim:
        raise ValueError("pad gives %d pairs but the input has only %d dimensions"
                         % (len(items) // 2, ndim))
    return tuple(int(v) for v in items)


@functools.lru_cache(maxsize=256)
def pad_index_map(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """Input index of each output index along one padded axis (int64, read-only); -1
    where constant padding reads the fill value."""
    out = size + before + after
    src = np.arange(out, dtype=np.int64) - before
    if mode == "constant":
        src = np.where((src >= 0) & (src < size), src, -1)
    elif mode == "reflect":
        period = 2 * (size - 1)
        src = np.abs(src) if period == 0 else np.abs(src) % period
        src = np.where(src >= size, period - src, src) if period else np.zeros_like(src)
    elif mode == "replicate":
        src = np.clip(src, 0, size - 1)
    else:   # circular: wraps around the part a negative amount leaves (PyTorch's rule)
        lo, kept = max(-before, 0), size - max(-before, 0) - max(-after, 0)
        src = lo + (np.arange(out, dtype=np.int64) - max(before, 0)) % kept
    src = np.ascontiguousarray(src, dtype=np.int64)
    src.flags.writeable = False
    return src


@_args.cached_geometry
def pad_geometry(shape: Tuple[int, ...], pad: Tuple[int, ...], mode: str = "constant"):
    """Validate a pad (PyTorch's F.pad rules); returns the output shape."""
    pad = _pad_amounts(pad, len(shape))
    if mode not in PAD_MODES:
        raise ValueError("mode must be one of %s, got %r" % (", ".join(map(repr, PAD_MODES)),
                                                             mode))
    dims = len(pad) // 2
    if mode != "constant":
        if dims not in (1, 2) or not dims + 1 <= len(shape) <= dims + 2:
            raise ValueError("%s padding pads the last 1 dimension of a 2-D or 3-D input or "
                             "the last 2 of a 3-D or 4-D input; got %d pad values for a "
                             "%d-D input" % (mode, len(pad), len(shape)))
    out = list(shape)
    for k in range(dims):
        axis = len(shape) - 1 - k
        before, after = pad[2 * k], pad[2 * k + 1]
        size = shape[axis]
        if mode == "reflect" and (before >= size or after >= size):
            raise ValueError("reflect padding (%d, %d) of dimension %d must be smaller than "
                             "its size %d" % (before, after, axis, size))
        kept = size - max(-before, 0) - max(-after, 0)
        if mode == "circular" and (before > kept or after > kept):
            raise ValueError("circular padding (%d, %d) of dimension %d must be at most the "
                             "%d values it keeps of size %d (it would wrap around more than "
                             "once)" % (before, after, axis, kept, size))
        if mode != "constant" and size < 1:
            raise ValueError("%s padding needs dimension %d of size >= 1" % (mode, axis))
        out[axis] = size + before + after
        if out[axis] < 1:
            raise ValueError("pad (%d, %d) makes dimension %d of size %d into %d; sizes must "
                             "stay >= 1" % (before, after, axis, size, out[axis]))
    return tuple(out)


def _pad_plan(shape, pad, mode):
    """(geometry, rows, cols) of the gather that pads the last two dimensions, or None
    when constant padding reaches further (then it is done by slicing)."""
    dims = len(pad) // 2
    if dims > 2 or min(shape, default=1) < 1:
        return None
    h = shape[-2] if dims == 2 else 1
    w = shape[-1]
    top, bottom = (pad[2], pad[3]) if dims == 2 else (0, 0)
    planes = int(np.prod(shape[:-2 if dims == 2 else -1], dtype=np.int64))
    if planes < 1:
        return None
    rows = pad_index_map(h, top, bottom, mode)
    cols = pad_index_map(w, pad[0], pad[1], mode)
    return (planes, h, w, len(rows), len(cols)), rows, cols


def _pad_slices(shape, pad):
    """(input slices, output slices) of the part of the input a constant pad keeps."""
    src = [slice(None)] * len(shape)
    dst = [slice(None)] * len(shape)
    for k in range(len(pad) // 2):
        axis = len(shape) - 1 - k
        before, after = pad[2 * k], pad[2 * k + 1]
        size = shape[axis]
        src[axis] = slice(max(0, -before), size - max(0, -after))
        dst[axis] = slice(max(0, before), max(0, before) + src[axis].stop - src[axis].start)
    return tuple(src), tuple(dst)


def pad_forward(x, pad: Sequence[int], mode: str = "constant", value: float = 0.0, *,
                out=None):
    """x padded as torch.nn.functional.pad does: pad = (left, right, top, bottom, ...)
    from the last dimension backwards; negative amounts crop. 'constant' pads any number
    of dimensions with `value`; 'reflect' (mirror without the edge), 'replicate' (edge
    repeated) and 'circular' (wrap) pad the last one or two."""
    xp = _args.array_module(x, out)
    x = _args.float_array(x, "input")
    pad = _pad_amounts(pad, x.ndim)
    out_shape = pad_geometry(tuple(x.shape), pad, mode)
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError("value must be a real number, got %r" % (value,))
    y = _args.check_out(out, out_shape, x.dtype, xp)
    x = _args.unaliased(x, out, xp)
    plan = _pad_plan(tuple(x.shape), pad, mode)
    if plan is None:
        y[...] = value
        if x.size:
            src, dst = _pad_slices(x.shape, pad)
            y[dst] = x[src]
        return y
    geom, rows, cols = plan
    return backend(xp).gather2d_forward(geom, _on(xp, rows), _on(xp, cols), float(value), x,
                                        y, nthreads())


def pad_backward(grad_output, input_shape: Sequence[int], pad: Sequence[int],
                 mode: str = "constant", *, out=None):
    """Gradient of pad_forward: each input element sums the gradients of every output
    element that copied it."""
    xp = _args.array_module(grad_output, out)
    grad_output = _args.float_array(grad_output, "grad_output")
    shape = tuple(int(v) for v in input_shape)
    pad = _pad_amounts(pad, len(shape))
    _expect("grad_output", grad_output, pad_geometry(shape, pad, mode))
    dx = _args.check_out(out, shape, grad_output.dtype, xp)
    grad_output = _args.unaliased(grad_output, out, xp)
    plan = _pad_plan(shape, pad, mode)
    if plan is None:
        dx[...] = 0
        if dx.size:
            src, dst = _pad_slices(shape, pad)
            dx[src] = grad_output[dst]
        return dx
    geom, rows, cols = plan
    return backend(xp).gather2d_backward(geom, _on(xp, rows), _on(xp, cols), grad_output, dx,
                                         nthreads())


# ------------------------------------------------------------------ grid sampling

def grid_sample_modes(mode: str, padding_mode: str) -> Tuple[int, int]:
    """The kernels' codes for grid_sample's mode and padding_mode names."""
    if mode not in GRID_MODES:
        raise ValueError("mode must be 'bilinear' or 'nearest' (fastconv has no bicubic "
                         "grid_sample), got %r" % (mode,))
    if padding_mode not in GRID_PADDING_MODES:
        raise ValueError("padding_mode must be 'zeros', 'border' or 'reflection', got %r"
                         % (padding_mode,))
    return GRID_MODES[mode], GRID_PADDING_MODES[padding_mode]


def _grid_geometry(x, grid):
    if grid.ndim != 4 or grid.shape[3] != 2:
        raise ValueError("grid must be 4-D (N, H_out, W_out, 2) for 4-D input, got shape %s"
                         % (tuple(grid.shape),))
    if grid.shape[0] != x.shape[0]:
        raise ValueError("grid and input must have the same batch size, got grid %s and "
                         "input %s" % (tuple(grid.shape), tuple(x.shape)))
    if min(grid.shape) < 1:
        raise ValueError("grid must have no zero-sized dimension, got shape %s"
                         % (tuple(grid.shape),))
    n, c, h, w = x.shape
    return (n, c, h, w, grid.shape[1], grid.shape[2])


def grid_sample_forward(x, grid, mode: str = "bilinear", padding_mode: str = "zeros",
                        align_corners: bool = False, *, out=None):
    """x (N, C, H, W) sampled at grid (N, H_out, W_out, 2), PyTorch's grid_sample."""
    xp = _args.array_module(x, grid, out)
    x = _input_4d(x, "input")
    grid = _args.float_array(grid, "grid")
    _args.same_dtype("input", x, "grid", grid)
    geom = _grid_geometry(x, grid)
    m, p = grid_sample_modes(mode, padding_mode)
    y = _args.check_out(out, (geom[0], geom[1], geom[4], geom[5]), x.dtype, xp)
    if out is not None:
        x, grid = (_args.unaliased(a, out, xp) for a in (x, grid))
    return backend(xp).grid_sample2d_forward(geom, m, p, bool(align_corners), x, grid, y,
                                             nthreads())


def grid_sample_backward(grad_output, x, grid, mode: str = "bilinear",
                         padding_mode: str = "zeros", align_corners: bool = False, *,
                         input_grad: bool = True, grid_grad: bool = True):
    """(d input, d grid) of grid_sample_forward given grad_output (None for a gradient
    not asked for). The grid's gradient is zero for nearest sampling and where clipping
    holds a coordinate still, as in PyTorch."""
    xp = _args.array_module(grad_output, x, grid)
    x = _input_4d(x, "input")
    grid = _args.float_array(grid, "grid")
    grad_output = _args.float_array(grad_output, "grad_output", 4)
    _args.same_dtype("input", x, "grid", grid)
    _args.same_dtype("input", x, "grad_output", grad_output)
    geom = _grid_geometry(x, grid)
    _expect("grad_output", grad_output, (geom[0], geom[1], geom[4], geom[5]))
    m, p = grid_sample_modes(mode, padding_mode)
    dx = xp.empty(x.shape, dtype=x.dtype) if input_grad else None
    dgrid = xp.empty(grid.shape, dtype=x.dtype) if grid_grad else None
    if dx is None and dgrid is None:
        return None, None
    return backend(xp).grid_sample2d_backward(geom, m, p, bool(align_corners), grad_output, x,
                                              grid, dx, dgrid, nthreads())


# ------------------------------------------------------------------ affine grids

def _linspace(steps: int, align_corners: bool, dtype) -> np.ndarray:
    """PyTorch's linspace_from_neg_one: the normalised centres of `steps` pixels."""
    t = np.dtype(dtype).type
    if steps <= 1:
        return np.zeros(1, dtype=t)
    r = np.linspace(-1, 1, steps).astype(t)
    if not align_corners:
        r = r * t(steps - 1) / t(steps)
    return r


@functools.lru_cache(maxsize=64)
def affine_base_grid(h: int, w: int, align_corners: bool, dtype) -> np.ndarray:
    """(H*W, 3) rows (x, y, 1) of every output pixel's normalised coordinates
    (read-only)."""
    xs = _linspace(w, align_corners, dtype)
    ys = _linspace(h, align_corners, dtype)
    base = np.empty((h, w, 3), dtype=dtype)
    base[..., 0] = xs[None, :]
    base[..., 1] = ys[:, None]
    base[..., 2] = 1
    base = base.reshape(h * w, 3)
    base.flags.writeable = False
    return base


def affine_grid_size(size, n_theta: int) -> Tuple[int, int, int, int]:
    """Check affine_grid's size (N, C, H, W) against theta's batch."""
    try:
        items = tuple(size)
    except TypeError:
        raise TypeError("size must be a sequence (N, C, H, W), got %r" % (size,)) from None
    if len(items) != 4 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                  for v in items):
        raise ValueError("size must be 4 ints (N, C, H, W) for 2-D affine grids, got %r"
                         % (size,))
    items = tuple(int(v) for v in items)
    if min(items) < 1:
        raise ValueError("size must be >= 1 in every dimension, got %r" % (size,))
    if items[0] != n_theta:
        raise ValueError("size's batch %d does not match theta's batch %d"
                         % (items[0], n_theta))
    return items


def _theta(theta):
    theta = _args.float_array(theta, "theta")
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (2, 3):
        raise ValueError("theta must have shape (N, 2, 3) for 2-D affine grids, got %s"
                         % (tuple(theta.shape),))
    return theta


def affine_grid_forward(theta, size, align_corners: bool = False):
    """grid (N, H, W, 2) = theta (N, 2, 3) applied to every output pixel's (x, y, 1)."""
    xp = _args.array_module(theta)
    theta = _theta(theta)
    n, _, h, w = affine_grid_size(size, theta.shape[0])
    base = _on(xp, affine_base_grid(h, w, bool(align_corners), theta.dtype))
    grid = xp.matmul(base[None], theta.transpose(0, 2, 1))
    return xp.ascontiguousarray(grid).reshape(n, h, w, 2)


def affine_grid_backward(grad_grid, size, align_corners: bool = False):
    """d theta (N, 2, 3) of affine_grid_forward given grad_grid (N, H, W, 2)."""
    xp = _args.array_module(grad_grid)
    grad_grid = _args.float_array(grad_grid, "grad_grid", 4)
    n, _, h, w = affine_grid_size(size, grad_grid.shape[0])
    _expect("grad_grid", grad_grid, (n, h, w, 2))
    base = _on(xp, affine_base_grid(h, w, bool(align_corners), grad_grid.dtype))
    g = grad_grid.reshape(n, h * w, 2)
    return xp.ascontiguousarray(xp.matmul(g.transpose(0, 2, 1), base[None]))
