"""interpolate, pad, affine_grid and grid_sample (torch.nn.functional's), each Function's
forward next to its backward; the arithmetic runs in fastconv.ops."""
import math
import numbers
from typing import List, Optional, Sequence, Union

from .. import ops
from ..autograd import Function, Tensor
from ..ops.resample import grid_sample_modes
from ._util import check_tensor

Size = Union[int, Sequence[int]]
Scale = Union[float, Sequence[float]]

INTERPOLATE_MODES = ("nearest", "nearest-exact", "linear", "bilinear")
_TORCH_ONLY_MODES = ("bicubic", "trilinear", "area")


# ------------------------------------------------------------------ upsampling

def _as_4d(x):
    """(x as (N, C, H, W), whether it was (N, C, L) and got H = 1)."""
    if x.ndim == 3:
        return x[:, :, None, :], True
    return x, False


class UpsampleNearest(Function):
    """Nearest-neighbour resize of (N, C, L) or (N, C, H, W); backward sums the
    gradients of the copies of each input pixel."""

    fresh_gradients = True

    @staticmethod
    def forward(ctx, x, output_size, scales, exact):
        x4, ctx.squeeze = _as_4d(x)
        ctx.input_shape, ctx.options = x4.shape, (scales, exact)
        y = ops.upsample_nearest2d_forward(x4, output_size, scales, exact)
        return y[:, :, 0] if ctx.squeeze else y

    @staticmethod
    def backward(ctx, grad):
        g = grad[:, :, None] if ctx.squeeze else grad
        dx = ops.upsample_nearest2d_backward(g, ctx.input_shape, *ctx.options)
        return dx[:, :, 0] if ctx.squeeze else dx


class UpsampleLinear(Function):
    """Linear ((N, C, L)) or bilinear ((N, C, H, W)) resize; backward spreads each
    output gradient over the four taps with the same weights."""

    fresh_gradients = True

    @staticmethod
    def forward(ctx, x, output_size, align_corners, scales):
        x4, ctx.squeeze = _as_4d(x)
        ctx.input_shape, ctx.options = x4.shape, (align_corners, scales)
        y = ops.upsample_bilinear2d_forward(x4, output_size, align_corners, scales)
        return y[:, :, 0] if ctx.squeeze else y

    @staticmethod
    def backward(ctx, grad):
        g = grad[:, :, None] if ctx.squeeze else grad
        dx = ops.upsample_bilinear2d_backward(g, ctx.input_shape, *ctx.options)
        return dx[:, :, 0] if ctx.squeeze else dx


def _real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _per_dim(value, dims: int, name: str, spatial: List[int]) -> list:
    if isinstance(value, (list, tuple)):
        if len(value) != dims:
            raise ValueError("Input and %s must have the same number of spatial dimensions, "
                             "but got input with spatial dimensions of %s and %s %r"
                             % (name, spatial, name, tuple(value)))
        return list(value)
    return [value] * dims


def interpolate(input: Tensor, size: Optional[Size] = None,
                scale_factor: Optional[Scale] = None, mode: str = "nearest",
                align_corners: Optional[bool] = None,
                recompute_scale_factor: Optional[bool] = None,
                antialias: bool = False) -> Tensor:
    """Resize (N, C, L) or (N, C, H, W) input to `size` or by `scale_factor`, as
    torch.nn.functional.interpolate: modes 'nearest', 'nearest-exact', 'linear' (3-D)
    and 'bilinear' (4-D). With a scale factor the output size is floor(size * scale)
    and the scale itself sets the source coordinates, unless recompute_scale_factor
    asks for the size ratio instead; align_corners (linear modes only, default False)
    maps the corner pixels' centres onto each other."""
    check_tensor(input, "input")
    if mode not in INTERPOLATE_MODES:
        extra = (" (fastconv does not implement %r)" % mode) if mode in _TORCH_ONLY_MODES \
            else ""
        raise ValueError("mode must be one of %s, got %r%s"
                         % (", ".join(map(repr, INTERPOLATE_MODES)), mode, extra))
    if antialias:
        raise ValueError("antialias=True is not supported (fastconv implements antialias="
                         "False only)")
    dims = input.ndim - 2
    if mode == "linear" and input.ndim != 3:
        raise ValueError("Got %dD input, but linear mode needs 3D input (N, C, L)" % input.ndim)
    if mode == "bilinear" and input.ndim != 4:
        raise ValueError("Got %dD input, but bilinear mode needs 4D input (N, C, H, W)"
                         % input.ndim)
    if input.ndim not in (3, 4):
        raise ValueError("input must be 3-D (N, C, L) or 4-D (N, C, H, W), got shape %s"
                         % (tuple(input.shape),))
    linear = mode in ("linear", "bilinear")
    if not linear and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    scales: List[Optional[float]] = [None] * dims
    if size is not None:
        out = _per_dim(size, dims, "output size", spatial)
        for s in out:
            if isinstance(s, bool) or not isinstance(s, numbers.Integral):
                raise TypeError("size must be an int or a sequence of ints, got %r" % (size,))
        out = [int(s) for s in out]
    else:
        factors = _per_dim(scale_factor, dims, "scale_factor", spatial)
        if not all(_real(f) and math.isfinite(f) and f > 0 for f in factors):
            raise ValueError("scale_factor must be positive finite numbers, got %r"
                             % (scale_factor,))
        out = [int(math.floor(float(n) * float(f))) for n, f in zip(spatial, factors)]
        if not recompute_scale_factor:
            scales = [float(f) for f in factors]
    if min(out) < 1:
        raise ValueError("Input and output sizes should be greater than 0, but got input %s "
                         "and output %s" % (tuple(spatial), tuple(out)))
    if dims == 1:
        out, scales = [1] + out, [None] + scales
    if linear:
        return UpsampleLinear.apply(input, output_size=tuple(out),
                                    align_corners=bool(align_corners), scales=tuple(scales))
    return UpsampleNearest.apply(input, output_size=tuple(out), scales=tuple(scales),
                                 exact=mode == "nearest-exact")


def upsample(input: Tensor, size: Optional[Size] = None, scale_factor: Optional[Scale] = None,
             mode: str = "nearest", align_corners: Optional[bool] = None) -> Tensor:
    """torch.nn.functional.upsample (deprecated there): interpolate."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Optional[Size] = None,
                     scale_factor: Optional[Scale] = None) -> Tensor:
    """interpolate(..., mode='nearest')."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Optional[Size] = None,
                      scale_factor: Optional[Scale] = None) -> Tensor:
    """interpolate(..., mode='bilinear', align_corners=True), as torch's."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ------------------------------------------------------------------ padding

class Pad(Function):
    """x padded (or cropped, by negative amounts); backward sums the gradients of the
    copies of each input element."""

    fresh_gradients = True

    @staticmethod
    def forward(ctx, x, pad, mode, value):
        ctx.input_shape, ctx.options = x.shape, (pad, mode)
        return ops.pad_forward(x, pad, mode, value)

    @staticmethod
    def backward(ctx, grad):
        return ops.pad_backward(grad, ctx.input_shape, *ctx.options)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: Optional[float] = None) -> Tensor:
    """Pad input as torch.nn.functional.pad: pad = (left, right, top, bottom, ...) from
    the last dimension backwards; 'constant' (with `value`, default 0) pads any number
    of dimensions, 'reflect', 'replicate' and 'circular' the last one or two of a 3-D or
    4-D input. Negative amounts crop."""
    check_tensor(input, "input")
    if mode != "constant" and value not in (None, 0):
        raise ValueError('Padding mode "%s" doesn\'t take in value argument' % (mode,))
    pad = tuple(pad) if isinstance(pad, (list, tuple)) else pad
    return Pad.apply(input, pad=pad, mode=mode, value=0.0 if value is None else value)


# ------------------------------------------------------------------ spatial transformer

class AffineGrid(Function):
    """grid = theta applied to each output pixel's normalised (x, y, 1); backward is the
    transposed product with the same base grid."""

    fresh_gradients = True

    @staticmethod
    def forward(ctx, theta, size, align_corners):
        ctx.options = (size, align_corners)
        return ops.affine_grid_forward(theta, size, align_corners)

    @staticmethod
    def backward(ctx, grad):
        return ops.affine_grid_backward(grad, *ctx.options)


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: Optional[bool] = None
                ) -> Tensor:
    """The sampling grid (N, H, W, 2) of affine matrices theta (N, 2, 3) for an output of
    size (N, C, H, W), as torch.nn.functional.affine_grid (align_corners defaults to
    False)."""
    check_tensor(theta, "theta")
    if not hasattr(size, "__len__"):
        raise TypeError("size must be a sequence (N, C, H, W), got %r" % (size,))
    return AffineGrid.apply(theta, size=tuple(size), align_corners=bool(align_corners))


class GridSample(Function):
    """x sampled at grid; backward gives the input's and the grid's gradients, each only
    where needed."""

    fresh_gradients = True

    @staticmethod
    def forward(ctx, x, grid, mode, padding_mode, align_corners):
        ctx.options = (mode, padding_mode, align_corners)
        ctx.save_for_backward(x, grid)
        return ops.grid_sample_forward(x, grid, mode, padding_mode, align_corners)

    @staticmethod
    def backward(ctx, grad):
        x, grid = ctx.saved_tensors
        need_x, need_grid = ctx.needs_input_grad[:2]
        return ops.grid_sample_backward(grad, x, grid, *ctx.options, input_grad=need_x,
                                        grid_grad=need_grid)


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: Optional[bool] = None) -> Tensor:
    """Sample input (N, C, H, W) at the normalised (x, y) locations of grid
    (N, H_out, W_out, 2), as torch.nn.functional.grid_sample: modes 'bilinear' and
    'nearest'; padding 'zeros', 'border' and 'reflection'; align_corners defaults to
    False. Differentiable with respect to both input and grid."""
    check_tensor(input, "input")
    check_tensor(grid, "grid")
    if input.ndim != 4:
        raise ValueError("grid_sample needs 4-D input (N, C, H, W) (fastconv has no 5-D "
                         "sampling), got shape %s" % (tuple(input.shape),))
    grid_sample_modes(mode, padding_mode)   # clear errors before anything runs
    return GridSample.apply(input, grid, mode=mode, padding_mode=padding_mode,
                            align_corners=bool(align_corners))
