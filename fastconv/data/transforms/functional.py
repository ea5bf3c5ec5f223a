"""Deterministic image functions (torchvision.transforms.functional's names), on one
image (C, H, W) or a batch (N, C, H, W), numpy arrays or fastconv Tensors.

On a batch, the geometric parameters (crop offsets, affine angle, translation, scale,
shear) may be one value for every sample, as in torchvision, or one value per sample
(arrays of length N): that is how the random transforms apply a whole batch at once.
Arguments are checked here; the pixel work is in `_kernels`, one function per kind.
"""
import numbers
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from .._tensors import is_tensor, to_numpy
from .._tensors import to_tensor as as_tensor
from . import _kernels
from ._base import check_fill, fill_per_channel, interpolation_name

__all__ = ["normalize", "hflip", "vflip", "pad", "crop", "affine", "to_tensor",
           "parse_padding", "inverse_affine_matrices"]

PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


def _as_batch(img: Any, owner: str, float_only: bool = False) -> Tuple[np.ndarray, bool, bool]:
    """(batch (N, C, H, W), was_single_image, was_tensor) for an image or a batch."""
    tensor_in = is_tensor(img)
    array = to_numpy(img)
    if array.ndim not in (3, 4):
        raise ValueError("%s: expected an image (C, H, W) or a batch (N, C, H, W), got an "
                         "array of shape %s" % (owner, array.shape))
    kinds = "f" if float_only else "fiub"
    if array.dtype.kind not in kinds:
        raise TypeError("%s: unsupported image dtype %s%s" % (
            owner, array.dtype, " (float32 or float64 expected)" if float_only else ""))
    single = array.ndim == 3
    return (array[None] if single else array), single, tensor_in


def _as_output(batch: np.ndarray, single: bool, tensor_in: bool) -> Any:
    out = batch[0] if single else batch
    return as_tensor(out) if tensor_in else out


def normalize(tensor: Any, mean: Sequence[float], std: Sequence[float],
              inplace: bool = False) -> Any:
    """(x - mean[c]) / std[c] for each channel c of a float image or batch; one value
    or one per channel. inplace=True writes into the input."""
    tensor_in = is_tensor(tensor)
    array = to_numpy(tensor)
    if array.dtype.kind != "f":
        raise TypeError("normalize: input must be a float32 or float64 image, got %s"
                        % array.dtype)
    if array.ndim < 3:
        raise ValueError("normalize: expected an image (..., C, H, W), got an array of shape "
                         "%s" % (array.shape,))
    channels = array.shape[-3]
    stats = []
    for name, value in (("mean", mean), ("std", std)):
        v = np.asarray(value, dtype=array.dtype).reshape(-1)
        if v.size not in (1, channels):
            raise ValueError("normalize: %s has %d values but the image has %d channels"
                             % (name, v.size, channels))
        stats.append(np.broadcast_to(v, (channels,)))
    if np.any(stats[1] == 0):
        raise ValueError("normalize: std evaluated to zero after conversion to %s, leading "
                         "to division by zero" % array.dtype)
    if inplace and not array.flags.writeable:
        raise ValueError("normalize: inplace=True needs a writable input")
    out = array if inplace else np.empty_like(array)
    _kernels.normalize(array, stats[0], stats[1], out)
    return as_tensor(out) if tensor_in else out


def _flip(img: Any, axis: int, owner: str) -> Any:
    batch, single, tensor_in = _as_batch(img, owner)
    out = _kernels.flip_where(batch, np.ones(len(batch), bool), axis)
    return _as_output(out, single, tensor_in)


def hflip(img: Any) -> Any:
    """The image(s) mirrored left to right."""
    return _flip(img, -1, "hflip")


def vflip(img: Any) -> Any:
    """The image(s) mirrored top to bottom."""
    return _flip(img, -2, "vflip")


def parse_padding(padding: Any, owner: str) -> Tuple[int, int, int, int]:
    """torchvision's padding forms -> (left, top, right, bottom): an int for all four
    sides, (left/right, top/bottom), or (left, top, right, bottom); all >= 0."""
    values = padding if isinstance(padding, (list, tuple)) else [padding]
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values) \
            or len(values) not in (1, 2, 4):
        raise TypeError("%s: padding must be an int or a sequence of 1, 2 or 4 ints, got %r"
                        % (owner, padding))
    if any(v < 0 for v in values):
        raise ValueError("%s: padding must be non-negative, got %r" % (owner, padding))
    v = [int(x) for x in values]
    if len(v) == 1:
        return v[0], v[0], v[0], v[0]
    if len(v) == 2:
        return v[0], v[1], v[0], v[1]
    return v[0], v[1], v[2], v[3]


def check_padding_mode(padding_mode: Any, owner: str) -> str:
    if padding_mode not in PADDING_MODES:
        raise ValueError("%s: padding_mode must be one of %s, got %r"
                         % (owner, ", ".join(PADDING_MODES), padding_mode))
    return padding_mode


def pad_batch(batch: np.ndarray, sides: Tuple[int, int, int, int], fill: Any,
              padding_mode: str, owner: str) -> np.ndarray:
    """A batch padded by already-parsed sides (left, top, right, bottom)."""
    left, top, right, bottom = sides
    if not any(sides):
        return batch
    h, w = batch.shape[-2:]
    if padding_mode in ("reflect", "symmetric"):
        limit_h, limit_w = (h - 1, w - 1) if padding_mode == "reflect" else (h, w)
        if max(top, bottom) > limit_h or max(left, right) > limit_w:
            raise ValueError("%s: %s padding %r needs at most %d rows and %d columns per side "
                             "for an image of %dx%d" % (owner, padding_mode, sides, limit_h,
                                                        limit_w, h, w))
    fill_values = fill_per_channel(fill, batch.shape[1], owner)
    return _kernels.pad(batch, left, top, right, bottom, fill_values, padding_mode)


def pad(img: Any, padding: Any, fill: Any = 0, padding_mode: str = "constant") -> Any:
    """The image(s) with borders: padding as in torchvision (int, (lr, tb) or
    (left, top, right, bottom)); padding_mode constant (with `fill`), edge, reflect
    or symmetric."""
    batch, single, tensor_in = _as_batch(img, "pad")
    sides = parse_padding(padding, "pad")
    check_fill(fill, "pad")
    out = pad_batch(batch, sides, fill, check_padding_mode(padding_mode, "pad"), "pad")
    return _as_output(out.copy() if out is batch else out, single, tensor_in)


def _per_sample(value: Any, n: int, width: int, name: str, owner: str) -> np.ndarray:
    """A scalar / (width,) value, or one per sample, as a float64 array (n, width)."""
    try:
        a = np.asarray(to_numpy(value), dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("%s: %s must be numbers, got %r" % (owner, name, value)) from None
    if a.ndim == 0 or a.shape == (width,):
        return np.broadcast_to(a.reshape(1, -1), (n, width))
    if width == 1 and a.shape == (n,):
        return a.reshape(n, 1)
    if a.shape == (n, width):
        return a
    raise ValueError("%s: %s has shape %s; expected one value%s or one per sample (%d)"
                     % (owner, name, a.shape, "" if width == 1 else " pair", n))


def crop(img: Any, top: Any, left: Any, height: int, width: int) -> Any:
    """The window [top, top+height) x [left, left+width) of the image(s); top and left
    may be one value per sample of a batch. Parts outside the image are zeros."""
    batch, single, tensor_in = _as_batch(img, "crop")
    for name, size in (("height", height), ("width", width)):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size <= 0:
            raise ValueError("crop: %s must be a positive int, got %r" % (name, size))
    n = len(batch)
    t = _per_sample(top, n, 1, "top", "crop")[:, 0]
    lft = _per_sample(left, n, 1, "left", "crop")[:, 0]
    if not (np.all(t == np.round(t)) and np.all(lft == np.round(lft))):
        raise ValueError("crop: top and left must be integers")
    t = t.astype(np.int64)
    lft = lft.astype(np.int64)
    h, w = batch.shape[-2:]
    if n:
        # Zero borders wide enough for every window, then windows inside them.
        sides = (max(0, -int(lft.min())), max(0, -int(t.min())),
                 max(0, int(lft.max()) + width - w), max(0, int(t.max()) + height - h))
        batch = pad_batch(batch, sides, 0, "constant", "crop")
        t = t + sides[1]
        lft = lft + sides[0]
    out = np.ascontiguousarray(_kernels.crop(batch, t, lft, int(height), int(width)))
    return _as_output(out, single, tensor_in)


def inverse_affine_matrices(center: Sequence[float], angle: np.ndarray,
                            translate: np.ndarray, scale: np.ndarray,
                            shear: np.ndarray) -> np.ndarray:
    """Inverse affine matrices (N, 2, 3) in image-centred coordinates, torchvision's
    definition: the forward map is T * C * R(angle) * S(scale) * SHy * SHx * C^-1
    (angles in degrees, clockwise on screen), inverted in closed form."""
    rot = np.radians(angle)
    sx = np.radians(shear[:, 0])
    sy = np.radians(shear[:, 1])
    cx, cy = float(center[0]), float(center[1])
    tx, ty = translate[:, 0], translate[:, 1]
    a = np.cos(rot - sy) / np.cos(sy)
    b = -np.cos(rot - sy) * np.tan(sx) / np.cos(sy) - np.sin(rot)
    c = np.sin(rot - sy) / np.cos(sy)
    d = -np.sin(rot - sy) * np.tan(sx) / np.cos(sy) + np.cos(rot)
    m = np.empty((len(angle), 2, 3))
    m[:, 0, 0] = d / scale
    m[:, 0, 1] = -b / scale
    m[:, 1, 0] = -c / scale
    m[:, 1, 1] = a / scale
    m[:, 0, 2] = m[:, 0, 0] * (-cx - tx) + m[:, 0, 1] * (-cy - ty) + cx
    m[:, 1, 2] = m[:, 1, 0] * (-cx - tx) + m[:, 1, 1] * (-cy - ty) + cy
    return m


def affine_batch(batch: np.ndarray, theta: np.ndarray, interpolation: str,
                 fill: Any, owner: str) -> np.ndarray:
    """Warp a checked batch by inverse matrices theta (N, 2, 3): float images directly,
    uint8 through float32 with rounding back, as torchvision does."""
    fill_values = None if fill is None else fill_per_channel(fill, batch.shape[1], owner)
    if batch.dtype.kind == "f":
        return _kernels.affine(batch, theta, interpolation, fill_values)
    if batch.dtype != np.uint8:
        raise TypeError("%s: unsupported image dtype %s (float32, float64 or uint8)"
                        % (owner, batch.dtype))
    out = _kernels.affine(batch.astype(np.float32), theta, interpolation, fill_values)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _shear_pair(shear: Any) -> Any:
    """torchvision's shear forms: a number s is (s, 0), a 1-sequence [s] is (s, s)."""
    if isinstance(shear, numbers.Real):
        return [float(shear), 0.0]
    if isinstance(shear, (list, tuple)) and len(shear) == 1:
        return [float(shear[0]), float(shear[0])]
    return shear


def affine(img: Any, angle: Any, translate: Any, scale: Any, shear: Any,
           interpolation: Any = "nearest", fill: Any = None,
           center: Optional[Sequence[float]] = None) -> Any:
    """The image(s) rotated by `angle` degrees, translated by `translate` (x, y) pixels,
    scaled and sheared (degrees: one value for x, or (x, y)) about `center` (pixel
    coordinates; None for the middle). Each parameter may be one value per sample of a
    batch. Pixels from outside are zeros, or `fill` blended in as torchvision does."""
    batch, single, tensor_in = _as_batch(img, "affine")
    mode = interpolation_name(interpolation, "affine")
    if fill is not None:
        check_fill(fill, "affine")
    n, _, h, w = batch.shape
    angles = _per_sample(angle, n, 1, "angle", "affine")[:, 0]
    shifts = _per_sample(translate, n, 2, "translate", "affine")
    scales = _per_sample(scale, n, 1, "scale", "affine")[:, 0]
    if np.any(~(scales > 0)):
        raise ValueError("affine: scale must be positive, got %r" % (scale,))
    shears = _per_sample(_shear_pair(shear), n, 2, "shear", "affine")
    centre = [0.0, 0.0] if center is None else [float(center[0]) - 0.5 * w,
                                                float(center[1]) - 0.5 * h]
    theta = inverse_affine_matrices(centre, angles, shifts, scales, shears)
    return _as_output(affine_batch(batch, theta, mode, fill, "affine"), single, tensor_in)


def to_tensor(pic: Any) -> Any:
    """A uint8 image (H, W) or (H, W, C) as a float32 Tensor (C, H, W) in [0, 1]."""
    from .to_tensor import ToTensor
    return ToTensor()(pic)

