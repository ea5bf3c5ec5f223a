"""interpolate, pad, grid_sample and affine_grid declared for the op harness: float64
references written plainly (loops over output positions), gradcheck (grid_sample's grid
gradient included, at random points away from the kinks), PyTorch over sweeps of
options, native vs generic, 1 vs 2 threads; plus the bad-input errors."""
import math
import warnings

import numpy as np

import fastconv as fc
import fastconv.functional as F
from fastconv import nn
from tests.harness import BadCall, Input, OpCase, error_tests, op_tests


# ------------------------------------------------------------------ interpolate reference

def _nearest_taps(n_in, n_out, scale, exact):
    """[(source index, 1.0)] per output index, PyTorch's nearest rules (computed in
    float32, as PyTorch does, because the rounding decides the index)."""
    taps = []
    for j in range(n_out):
        if not exact and n_out == n_in:
            src = j
        elif not exact and n_out == 2 * n_in:
            src = j // 2
        else:
            s = np.float32(1.0 / scale) if scale else np.float32(n_in) / np.float32(n_out)
            if exact:
                src = int(math.floor(np.float32((j + 0.5) * float(s))))
            else:
                src = int(math.floor(np.float32(j) * s))
            src = min(src, n_in - 1)
        taps.append([(src, 1.0)])
    return taps


def _linear_taps(n_in, n_out, scale, align_corners):
    """[(index, weight), (index, weight)] per output index: the source coordinate of
    the output pixel's centre (or corner-aligned position), clamped at 0, and its two
    neighbours."""
    taps = []
    for j in range(n_out):
        if n_out == n_in:
            taps.append([(j, 1.0)])
            continue
        if align_corners:
            src = j * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        else:
            ratio = 1.0 / scale if scale else n_in / n_out
            src = max((j + 0.5) * ratio - 0.5, 0.0)
        i0 = min(int(math.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        frac = min(max(src - i0, 0.0), 1.0)
        taps.append([(i0, 1.0 - frac), (i1, frac)])
    return taps


def ref_interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None,
                    recompute_scale_factor=None):
    spatial = x.shape[2:]
    dims = len(spatial)
    if size is not None:
        out = list(size) if isinstance(size, (list, tuple)) else [size] * dims
        scales = [None] * dims
    else:
        factors = (list(scale_factor) if isinstance(scale_factor, (list, tuple))
                   else [scale_factor] * dims)
        out = [int(math.floor(n * f)) for n, f in zip(spatial, factors)]
        scales = [None] * dims if recompute_scale_factor else factors
    if mode in ("nearest", "nearest-exact"):
        axes = [_nearest_taps(n, o, s, mode == "nearest-exact")
                for n, o, s in zip(spatial, out, scales)]
    else:
        axes = [_linear_taps(n, o, s, bool(align_corners))
                for n, o, s in zip(spatial, out, scales)]
    y = np.zeros(x.shape[:2] + tuple(out))
    for pos in np.ndindex(*out):
        combos = [[]]
        for axis, j in enumerate(pos):
            combos = [c + [t] for c in combos for t in axes[axis][j]]
        for combo in combos:
            weight = np.prod([w for _, w in combo])
            y[(slice(None), slice(None)) + pos] += weight * x[
                (slice(None), slice(None)) + tuple(i for i, _ in combo)]
    return y


def _torch_interpolate(t, x, **kw):
    return t.nn.functional.interpolate(x, **kw)


# (name, input shape, kwargs, gradcheck)
INTERPOLATE = [
    ("nearest-x2", (2, 3, 4, 5), dict(scale_factor=2), True),
    ("nearest-size", (1, 2, 5, 7), dict(size=(8, 4)), True),
    ("nearest-down", (2, 2, 9, 7), dict(size=(4, 3)), True),
    ("nearest-frac-scale", (1, 2, 5, 6), dict(scale_factor=1.7), True),
    ("nearest-pair-scale", (1, 2, 5, 6), dict(scale_factor=(2.5, 0.6)), True),
    ("nearest-recompute", (1, 2, 5, 6), dict(scale_factor=1.7, recompute_scale_factor=True),
     True),
    ("nearest-exact-size", (2, 2, 5, 7), dict(size=(9, 4), mode="nearest-exact"), True),
    ("nearest-exact-scale", (1, 2, 6, 5), dict(scale_factor=1.5, mode="nearest-exact"), True),
    ("nearest-1d", (2, 3, 7), dict(scale_factor=3), True),
    ("bilinear-x2", (2, 3, 4, 5), dict(scale_factor=2, mode="bilinear"), True),
    ("bilinear-x2-corners", (2, 3, 4, 5),
     dict(scale_factor=2, mode="bilinear", align_corners=True), True),
    ("bilinear-size", (1, 2, 5, 7), dict(size=(9, 4), mode="bilinear"), True),
    ("bilinear-size-corners", (1, 2, 5, 7),
     dict(size=(9, 4), mode="bilinear", align_corners=True), True),
    ("bilinear-down", (2, 2, 9, 8), dict(size=(4, 3), mode="bilinear"), True),
    ("bilinear-frac-scale", (1, 2, 5, 6), dict(scale_factor=1.7, mode="bilinear"), True),
    ("bilinear-pair-scale", (1, 2, 5, 6),
     dict(scale_factor=(2.5, 0.6), mode="bilinear", align_corners=False), True),
    ("bilinear-recompute", (1, 2, 5, 6),
     dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True), True),
    ("bilinear-to-one", (1, 2, 5, 6),
     dict(size=(1, 3), mode="bilinear", align_corners=True), True),
    ("bilinear-same-height", (1, 2, 5, 6), dict(size=(5, 11), mode="bilinear"), True),
    ("linear-1d", (2, 3, 7), dict(scale_factor=2.5, mode="linear"), True),
    ("linear-1d-corners", (2, 3, 7), dict(size=12, mode="linear", align_corners=True), True),
    # large enough to run on two threads
    ("threads-bilinear", (4, 8, 32, 32), dict(scale_factor=2, mode="bilinear"), False),
    ("threads-nearest", (4, 8, 32, 32), dict(scale_factor=2), False),
]

CASES = [OpCase("interpolate-" + name, F.interpolate, [Input(shape)], kwargs=kwargs,
                ref=ref_interpolate, torch_fn=_torch_interpolate, gradcheck=small)
         for name, shape, kwargs, small in INTERPOLATE]


# ------------------------------------------------------------------ pad reference

def _source(i, size, before, after, mode):
    """Input index of output index i along one padded axis, or None (constant fill)."""
    if mode == "circular":   # wraps around the values a negative amount keeps
        first, last = max(-before, 0), size - 1 - max(-after, 0)
        s = first + i - max(before, 0)
        while s < first or s > last:
            s += (last - first + 1) * (1 if s < first else -1)
        return s
    s = i - before
    if 0 <= s < size:
        return s
    if mode == "constant":
        return None
    if mode == "replicate":
        return 0 if s < 0 else size - 1
    while s < 0 or s >= size:   # reflect: mirror about the edge pixels
        s = -s if s < 0 else 2 * (size - 1) - s
    return s


def ref_pad(x, pad, mode="constant", value=None):
    dims = len(pad) // 2
    lead = x.ndim - dims
    out_shape = list(x.shape)
    for k in range(dims):
        out_shape[x.ndim - 1 - k] += pad[2 * k] + pad[2 * k + 1]
    y = np.full(out_shape, 0.0 if value is None else value)
    for pos in np.ndindex(*out_shape[lead:]):   # every position of the padded axes
        src = []
        for axis, i in enumerate(pos, start=lead):
            k = x.ndim - 1 - axis
            src.append(_source(i, x.shape[axis], pad[2 * k], pad[2 * k + 1], mode))
        if None not in src:
            y[(Ellipsis,) + pos] = x[(Ellipsis,) + tuple(src)]
    return y


def _torch_pad(t, x, **kw):
    return t.nn.functional.pad(x, **kw)


PADS = [
    ("constant-2d", (2, 3, 4, 5), dict(pad=(1, 2, 3, 0), value=0.5)),
    ("constant-last", (2, 3, 5), dict(pad=(2, 1))),
    ("constant-crop", (2, 3, 6, 7), dict(pad=(-1, 2, 1, -2))),
    ("constant-3dims", (2, 3, 4, 5), dict(pad=(1, 0, 0, 2, 1, 1), value=-1.0)),
    ("constant-all-dims", (2, 3, 4), dict(pad=(1, 1, 0, 1, 2, 0))),
    ("reflect", (2, 3, 4, 5), dict(pad=(2, 4, 3, 1), mode="reflect")),
    ("reflect-3d", (3, 5, 6), dict(pad=(1, 2, 0, 3), mode="reflect")),
    ("reflect-1d", (2, 3, 6), dict(pad=(3, 5), mode="reflect")),
    ("replicate", (2, 3, 4, 5), dict(pad=(3, 0, 2, 5), mode="replicate")),
    ("replicate-1d", (2, 3, 4), dict(pad=(2, 6), mode="replicate")),
    ("circular", (2, 3, 4, 5), dict(pad=(2, 5, 4, 1), mode="circular")),
    ("circular-crop", (2, 3, 4, 5), dict(pad=(-1, 3, 2, -1), mode="circular")),
    ("threads-reflect", (8, 16, 32, 32), dict(pad=(2, 2, 2, 2), mode="reflect")),
]

CASES += [OpCase("pad-" + name, F.pad, [Input(shape)], kwargs=kwargs, ref=ref_pad,
                 torch_fn=_torch_pad, gradcheck=not name.startswith("threads"))
          for name, shape, kwargs in PADS]


# ------------------------------------------------------------------ grid_sample reference

def _pixel(coord, size, align_corners):
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _reflect(v, low, high):
    """v mirrored into [low, high] by repeated reflection."""
    if low == high:
        return 0.0
    while v < low or v > high:
        v = 2 * low - v if v < low else 2 * high - v
    return v


def _padded(v, size, padding_mode, align_corners):
    if padding_mode == "border":
        return min(max(v, 0.0), size - 1.0)
    if padding_mode == "reflection":
        v = _reflect(v, 0.0, size - 1.0) if align_corners else _reflect(v, -0.5, size - 0.5)
        return min(max(v, 0.0), size - 1.0)
    return v


def ref_grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    n, c, h, w = x.shape
    oh, ow = grid.shape[1:3]
    y = np.zeros((n, c, oh, ow))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                gx, gy = grid[b, i, j]
                px = _padded(_pixel(gx, w, align_corners), w, padding_mode, align_corners)
                py = _padded(_pixel(gy, h, align_corners), h, padding_mode, align_corners)
                if mode == "nearest":
                    taps = [(int(np.rint(py)), int(np.rint(px)), 1.0)]
                else:
                    x0, y0 = math.floor(px), math.floor(py)
                    fx, fy = px - x0, py - y0
                    taps = [(y0, x0, (1 - fx) * (1 - fy)), (y0, x0 + 1, fx * (1 - fy)),
                            (y0 + 1, x0, (1 - fx) * fy), (y0 + 1, x0 + 1, fx * fy)]
                for r, col, weight in taps:
                    if 0 <= r < h and 0 <= col < w:
                        y[b, :, i, j] += weight * x[b, :, r, col]
    return y


def _torch_grid_sample(t, x, grid, **kw):
    kw.setdefault("align_corners", False)
    return t.nn.functional.grid_sample(x, grid, **kw)


GRID_CASES = []
for mode in ("bilinear", "nearest"):
    for padding_mode in ("zeros", "border", "reflection"):
        for align_corners in (False, True):
            GRID_CASES.append(OpCase(
                "grid_sample-%s-%s-%s" % (mode, padding_mode, align_corners), F.grid_sample,
                [Input((2, 3, 5, 6)), Input((2, 4, 3, 2), "uniform", low=-1.4, high=1.4)],
                kwargs=dict(mode=mode, padding_mode=padding_mode,
                            align_corners=align_corners),
                ref=ref_grid_sample, torch_fn=_torch_grid_sample))
GRID_CASES += [
    OpCase("grid_sample-far-outside", F.grid_sample,
           [Input((1, 2, 4, 4)), Input((1, 3, 3, 2), "uniform", low=-4, high=4)],
           kwargs=dict(padding_mode="reflection"), ref=ref_grid_sample,
           torch_fn=_torch_grid_sample),
    OpCase("grid_sample-one-pixel", F.grid_sample,
           [Input((2, 2, 1, 1)), Input((2, 2, 3, 2), "uniform", low=-1, high=1)],
           kwargs=dict(padding_mode="border", align_corners=True), ref=ref_grid_sample,
           torch_fn=_torch_grid_sample),
    OpCase("grid_sample-threads", F.grid_sample,
           [Input((4, 8, 24, 24)), Input((4, 32, 32, 2), "uniform", low=-1.1, high=1.1)],
           kwargs=dict(align_corners=False), ref=None, torch_fn=_torch_grid_sample,
           gradcheck=False),
    OpCase("grid_sample-threads-one-image", F.grid_sample,
           [Input((1, 16, 24, 24)), Input((1, 48, 48, 2), "uniform", low=-1.1, high=1.1)],
           kwargs=dict(padding_mode="reflection"), ref=None, torch_fn=_torch_grid_sample,
           gradcheck=False),
]
CASES += GRID_CASES


# ------------------------------------------------------------------ affine_grid reference

def ref_affine_grid(theta, size, align_corners=False):
    n, _, h, w = size

    def centres(steps):
        if steps == 1:
            return [0.0]
        r = [-1 + 2 * k / (steps - 1) for k in range(steps)]
        return r if align_corners else [v * (steps - 1) / steps for v in r]

    grid = np.zeros((n, h, w, 2))
    for b in range(n):
        for i, yv in enumerate(centres(h)):
            for j, xv in enumerate(centres(w)):
                grid[b, i, j] = theta[b] @ np.array([xv, yv, 1.0])
    return grid


def _torch_affine_grid(t, theta, size, align_corners):
    with warnings.catch_warnings():   # torch warns about unit-size grids with align_corners
        warnings.simplefilter("ignore", UserWarning)
        return t.nn.functional.affine_grid(theta, list(size), align_corners=align_corners)


CASES += [OpCase("affine_grid-%s-%dx%d" % (ac, h, w), F.affine_grid, [Input((2, 2, 3))],
                 kwargs=dict(size=(2, 3, h, w), align_corners=ac), ref=ref_affine_grid,
                 torch_fn=_torch_affine_grid, native=False)
          for ac in (False, True) for h, w in ((4, 5), (1, 3))]


def _stn(x, theta, align_corners=False):
    """The spatial transformer's two ops in a row: both gradients reach theta."""
    grid = F.affine_grid(theta, x.shape, align_corners=align_corners)
    return F.grid_sample(x, grid, align_corners=align_corners)


def ref_stn(x, theta, align_corners=False):
    return ref_grid_sample(x, ref_affine_grid(theta, x.shape, align_corners),
                           align_corners=align_corners)


def _torch_stn(t, x, theta, align_corners=False):
    grid = t.nn.functional.affine_grid(theta, list(x.shape), align_corners=align_corners)
    return t.nn.functional.grid_sample(x, grid, align_corners=align_corners)


CASES += [OpCase("stn-%s" % ac, _stn,
                 [Input((2, 2, 5, 6)), Input((2, 2, 3), "uniform", low=-0.9, high=0.9)],
                 kwargs=dict(align_corners=ac), ref=ref_stn, torch_fn=_torch_stn)
          for ac in (False, True)]

test_resample_ops = op_tests(CASES)


# ------------------------------------------------------------------ bad input

def _t(*shape, dtype=np.float32):
    return fc.tensor(np.zeros(shape, dtype=dtype))


BAD = [
    BadCall("interpolate unknown mode", lambda: F.interpolate(_t(1, 1, 4, 4), scale_factor=2,
                                                              mode="cubic"),
            ValueError, "mode"),
    BadCall("interpolate bicubic unsupported", lambda: F.interpolate(
        _t(1, 1, 4, 4), scale_factor=2, mode="bicubic"), ValueError, "mode.*bicubic"),
    BadCall("interpolate size and scale", lambda: F.interpolate(_t(1, 1, 4, 4), size=3,
                                                                scale_factor=2),
            ValueError, "only one of size or scale_factor"),
    BadCall("interpolate neither", lambda: F.interpolate(_t(1, 1, 4, 4)), ValueError,
            "either size or scale_factor"),
    BadCall("interpolate align_corners with nearest", lambda: F.interpolate(
        _t(1, 1, 4, 4), scale_factor=2, align_corners=True), ValueError, "align_corners"),
    BadCall("interpolate size zero", lambda: F.interpolate(_t(1, 1, 4, 4), size=(0, 3)),
            ValueError, "greater than 0"),
    BadCall("interpolate negative size", lambda: F.interpolate(_t(1, 1, 4, 4), size=-2),
            ValueError, "greater than 0"),
    BadCall("interpolate scale to nothing", lambda: F.interpolate(_t(1, 1, 4, 4),
                                                                  scale_factor=0.1),
            ValueError, "greater than 0"),
    BadCall("interpolate negative scale", lambda: F.interpolate(_t(1, 1, 4, 4),
                                                                scale_factor=-2),
            ValueError, "scale_factor"),
    BadCall("interpolate size length", lambda: F.interpolate(_t(1, 1, 4, 4), size=(2, 3, 4)),
            ValueError, "spatial dimensions"),
    BadCall("interpolate bilinear on 3-D", lambda: F.interpolate(_t(1, 1, 4), size=5,
                                                                 mode="bilinear"),
            ValueError, "bilinear mode needs 4D"),
    BadCall("interpolate recompute with size", lambda: F.interpolate(
        _t(1, 1, 4, 4), size=5, recompute_scale_factor=True), ValueError,
        "recompute_scale_factor"),
    BadCall("interpolate int dtype", lambda: F.interpolate(
        fc.tensor(np.zeros((1, 1, 2, 2), np.int64)), scale_factor=2), TypeError, "dtype"),
    BadCall("pad unknown mode", lambda: F.pad(_t(1, 1, 4, 4), (1, 1), mode="mirror"),
            ValueError, "mode"),
    BadCall("pad odd length", lambda: F.pad(_t(1, 1, 4, 4), (1, 1, 1)), ValueError,
            "even length"),
    BadCall("pad too many pairs", lambda: F.pad(_t(4, 4), (1, 1, 1, 1, 1, 1)), ValueError,
            "pairs"),
    BadCall("pad reflect too wide", lambda: F.pad(_t(1, 1, 4, 4), (4, 0, 0, 0),
                                                  mode="reflect"),
            ValueError, "reflect padding.*smaller"),
    BadCall("pad circular wraps twice", lambda: F.pad(_t(1, 1, 4, 4), (5, 0, 0, 0),
                                                      mode="circular"),
            ValueError, "circular padding"),
    BadCall("pad reflect 3 dims", lambda: F.pad(_t(1, 1, 4, 4), (1,) * 6, mode="reflect"),
            ValueError, "reflect padding pads the last"),
    BadCall("pad crops to nothing", lambda: F.pad(_t(1, 1, 4, 4), (-2, -2)), ValueError,
            "sizes must stay >= 1"),
    BadCall("pad value with reflect", lambda: F.pad(_t(1, 1, 4, 4), (1, 1), mode="reflect",
                                                    value=2.0),
            ValueError, "value"),
    BadCall("pad not ints", lambda: F.pad(_t(1, 1, 4, 4), (1.5, 1)), TypeError, "pad"),
    BadCall("grid_sample grid wrong rank", lambda: F.grid_sample(_t(1, 1, 4, 4),
                                                                 _t(1, 3, 2)),
            ValueError, "grid must be 4-D"),
    BadCall("grid_sample grid last dim", lambda: F.grid_sample(_t(1, 1, 4, 4),
                                                               _t(1, 3, 3, 3)),
            ValueError, r"grid must be 4-D \(N, H_out, W_out, 2\)"),
    BadCall("grid_sample grid batch", lambda: F.grid_sample(_t(2, 1, 4, 4), _t(1, 3, 3, 2)),
            ValueError, "same batch size"),
    BadCall("grid_sample empty grid", lambda: F.grid_sample(_t(1, 1, 4, 4), _t(1, 0, 3, 2)),
            ValueError, "grid must have no zero-sized"),
    BadCall("grid_sample unknown mode", lambda: F.grid_sample(_t(1, 1, 4, 4), _t(1, 2, 2, 2),
                                                              mode="bicubic"),
            ValueError, "mode"),
    BadCall("grid_sample unknown padding", lambda: F.grid_sample(
        _t(1, 1, 4, 4), _t(1, 2, 2, 2), padding_mode="wrap"), ValueError, "padding_mode"),
    BadCall("grid_sample dtype mismatch", lambda: F.grid_sample(
        _t(1, 1, 4, 4), _t(1, 2, 2, 2, dtype=np.float64)), TypeError, "grid"),
    BadCall("grid_sample 5-D", lambda: F.grid_sample(_t(1, 1, 2, 4, 4), _t(1, 2, 2, 2, 3)),
            ValueError, "4-D input"),
    BadCall("affine_grid theta shape", lambda: F.affine_grid(_t(2, 3, 3), (2, 1, 4, 4)),
            ValueError, r"theta must have shape \(N, 2, 3\)"),
    BadCall("affine_grid theta 2-D", lambda: F.affine_grid(_t(2, 3), (1, 1, 4, 4)),
            ValueError, "theta"),
    BadCall("affine_grid batch mismatch", lambda: F.affine_grid(_t(2, 2, 3), (3, 1, 4, 4)),
            ValueError, "batch"),
    BadCall("affine_grid size zero", lambda: F.affine_grid(_t(1, 2, 3), (1, 1, 0, 4)),
            ValueError, "size"),
    BadCall("affine_grid size length", lambda: F.affine_grid(_t(1, 2, 3), (1, 1, 4)),
            ValueError, "size"),
    BadCall("Upsample bad mode", lambda: nn.Upsample(scale_factor=2, mode="box")(
        _t(1, 1, 2, 2)), ValueError, "mode"),
    BadCall("ReflectionPad2d too wide", lambda: nn.ReflectionPad2d(3)(_t(1, 1, 3, 3)),
            ValueError, "reflect padding"),
]

test_resample_bad_input = error_tests(BAD)
