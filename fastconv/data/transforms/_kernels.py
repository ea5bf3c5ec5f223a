"""The array bodies of the image transforms, on whole batches (N, C, H, W), vectorised.

Every function here takes already-validated numpy arrays and per-sample parameters and
returns a new array (its input is never modified). Each is the single place where one
kind of pixel work happens, so a native kernel can replace the body of one function
without changing any caller. The cost on batch 64 of 3x32x32 float32 is a few
milliseconds at most (see `python -m fastconv.data.transforms.bench`), far below a
training step, so numpy is enough for now.
"""
from typing import Optional

import numpy as np

# numpy.pad mode for each non-constant torch padding_mode (same edge semantics).
NUMPY_PAD_MODES = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


def flip_where(images: np.ndarray, flip: np.ndarray, axis: int) -> np.ndarray:
    """A copy of `images` (N, C, H, W) with the samples where `flip` is true mirrored
    along `axis` (-1: left-right, -2: top-bottom)."""
    out = images.copy()
    chosen = np.flatnonzero(flip)
    if chosen.size:
        out[chosen] = np.flip(images[chosen], axis=axis)
    return out


def pad(images: np.ndarray, left: int, top: int, right: int, bottom: int,
        fill: np.ndarray, mode: str) -> np.ndarray:
    """`images` (N, C, H, W) with non-negative borders added.

    mode "constant" fills with `fill` (one value per channel, shape (C,)); "edge",
    "reflect" and "symmetric" extend the image as torch and numpy define them.
    """
    n, c, h, w = images.shape
    if mode == "constant":
        out = np.empty((n, c, h + top + bottom, w + left + right), images.dtype)
        out[...] = fill.astype(images.dtype)[None, :, None, None]
        out[:, :, top:top + h, left:left + w] = images
        return out
    return np.pad(images, ((0, 0), (0, 0), (top, bottom), (left, right)),
                  mode=NUMPY_PAD_MODES[mode])


def crop(images: np.ndarray, top: np.ndarray, left: np.ndarray, height: int,
         width: int) -> np.ndarray:
    """Sample n's window [top[n], top[n]+height) x [left[n], left[n]+width), as a new
    contiguous (N, C, height, width) array. Windows must lie inside the images."""
    n = images.shape[0]
    windows = np.lib.stride_tricks.sliding_window_view(images, (height, width), axis=(2, 3))
    # windows: (N, C, H-height+1, W-width+1, height, width); one gather picks each window.
    return windows[np.arange(n), :, top, left]


def normalize(images: np.ndarray, mean: np.ndarray, std: np.ndarray,
              out: np.ndarray) -> np.ndarray:
    """(images - mean) / std per channel (axis -3), written into `out` (may be images)."""
    shape = (-1, 1, 1)
    np.subtract(images, mean.reshape(shape), out=out)
    np.divide(out, std.reshape(shape), out=out)
    return out


def hwc_uint8_to_chw_float(images: np.ndarray) -> np.ndarray:
    """uint8 (..., H, W, C) -> float32 (..., C, H, W) scaled to [0, 1] (divided by 255)."""
    chw = np.moveaxis(images, -1, -3)
    out = np.empty(chw.shape, np.float32)
    np.divide(chw, np.float32(255.0), out=out, dtype=np.float32)
    return out


def _source_coordinates(theta: np.ndarray, height: int, width: int):
    """Pixel coordinates (x, y), each (N, H*W) float64, that output pixel (i, j) of
    sample n reads from, for inverse affine matrices theta (N, 2, 3) acting on
    coordinates centred on the image (torchvision's tensor convention, which matches
    grid_sample with align_corners=False)."""
    xs = np.arange(width, dtype=np.float64) + (0.5 - 0.5 * width)
    ys = np.arange(height, dtype=np.float64) + (0.5 - 0.5 * height)
    gx = np.broadcast_to(xs[None, :], (height, width)).reshape(1, -1)
    gy = np.broadcast_to(ys[:, None], (height, width)).reshape(1, -1)
    t = theta[:, :, :, None]
    x = t[:, 0, 0] * gx + t[:, 0, 1] * gy + t[:, 0, 2] + (0.5 * width - 0.5)
    y = t[:, 1, 0] * gx + t[:, 1, 1] * gy + t[:, 1, 2] + (0.5 * height - 0.5)
    return x, y


def _gather(flat_images: np.ndarray, flat_index: np.ndarray) -> np.ndarray:
    """flat_images (N, C, P) read at flat_index (N, Q) per sample -> (N, C, Q)."""
    return np.take_along_axis(flat_images, flat_index[:, None, :], axis=2)


def affine(images: np.ndarray, theta: np.ndarray, interpolation: str,
           fill: Optional[np.ndarray]) -> np.ndarray:
    """Warp each sample of `images` (N, C, H, W), float32 or float64, by its own inverse
    affine matrix theta[n] (N, 2, 3), float64.

    interpolation "nearest" (round half to even) or "bilinear"; pixels read from outside
    the image count as zero. With a `fill` (C,), the result is then blended with it
    through the sampled coverage mask, as torchvision does: nearest takes `fill` where
    the mask is < 0.5, bilinear gives out * mask + (1 - mask) * fill. fill=None keeps
    the zeros.
    """
    n, c, h, w = images.shape
    dtype = images.dtype
    x, y = _source_coordinates(theta, h, w)
    flat = images.reshape(n, c, h * w)
    fill_value = 0 if fill is None else fill.astype(dtype)[None, :, None]
    if interpolation == "nearest":
        ix = np.rint(x)
        iy = np.rint(y)
        inside = (ix >= 0) & (ix <= w - 1) & (iy >= 0) & (iy <= h - 1)
        index = np.where(inside, iy * w + ix, 0).astype(np.intp)
        out = _gather(flat, index)
        out = np.where(inside[:, None, :], out, fill_value)
        return out.reshape(n, c, h, w)
    x0 = np.floor(x)
    y0 = np.floor(y)
    fx = x - x0
    fy = y - y0
    out = np.zeros((n, c, h * w), dtype)
    mask = np.zeros((n, h * w), np.float64)
    for dy, wy in ((0, 1.0 - fy), (1, fy)):
        yy = y0 + dy
        for dx, wx in ((0, 1.0 - fx), (1, fx)):
            xx = x0 + dx
            inside = (xx >= 0) & (xx <= w - 1) & (yy >= 0) & (yy <= h - 1)
            weight = np.where(inside, wx * wy, 0.0)
            index = np.where(inside, yy * w + xx, 0).astype(np.intp)
            out += _gather(flat, index) * weight.astype(dtype)[:, None, :]
            mask += weight
    if fill is not None:
        m = mask.astype(dtype)[:, None, :]
        out = out * m + (1 - m) * fill_value
    return out.reshape(n, c, h, w)
