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


def _pixel_rows(images: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N*H*W, C): one row of channel values per pixel, so that one
    gather by pixel index fetches every channel."""
    n, c, h, w = images.shape
    if c == 1:
        return images.reshape(n * h * w, 1)
    return images.transpose(0, 2, 3, 1).reshape(n * h * w, c)


def _from_pixel_rows(rows: np.ndarray, n: int, c: int, h: int, w: int) -> np.ndarray:
    return np.ascontiguousarray(rows.reshape(n, h * w, c).transpose(0, 2, 1)).reshape(n, c, h, w)


def _axis_taps(coord: np.ndarray, size: int, dtype: np.dtype) -> list:
    """The two bilinear taps along one axis: [(index clipped into the image, weight,
    zero where the tap lies outside)] for floor(coord) and floor(coord) + 1."""
    lower_f = np.floor(coord)
    frac = (coord - lower_f).astype(dtype)
    # Coordinates far outside (huge scale, NaN from a 90-degree shear) are clipped first
    # so that the integer conversion is always defined.
    lower = np.fmin(np.fmax(lower_f, -2.0), size + 1.0).astype(np.intp)   # fmax: NaN -> -2
    taps = []
    for offset, weight in ((0, 1 - frac), (1, frac)):
        at = lower + offset
        inside = (at >= 0) & (at <= size - 1)
        taps.append((np.clip(at, 0, size - 1), np.where(inside, weight, dtype.type(0))))
    return taps


# Samples are warped in groups of about this many pixels: numpy's temporaries then stay
# small enough to be reused from cache instead of being mapped fresh (2x faster on a
# batch of 64 3x32x32 images).
CHUNK_PIXELS = 8192


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
    n, _, h, w = images.shape
    step = max(1, CHUNK_PIXELS // (h * w))
    if n <= step:
        return _affine_chunk(images, theta, interpolation, fill)
    out = np.empty_like(images)
    for start in range(0, n, step):
        part = slice(start, start + step)
        out[part] = _affine_chunk(images[part], theta[part], interpolation, fill)
    return out


def _affine_chunk(images: np.ndarray, theta: np.ndarray, interpolation: str,
                  fill: Optional[np.ndarray]) -> np.ndarray:
    n, c, h, w = images.shape
    dtype = images.dtype
    x, y = _source_coordinates(theta, h, w)          # (N, H*W) each
    rows = _pixel_rows(images)
    first_pixel = (np.arange(n, dtype=np.intp) * (h * w))[:, None]
    if interpolation == "nearest":
        ix = np.rint(x)
        iy = np.rint(y)
        inside = ((ix >= 0) & (ix <= w - 1) & (iy >= 0) & (iy <= h - 1)).reshape(-1)
        pixel = (np.fmin(np.fmax(iy, 0.0), h - 1.0).astype(np.intp) * w
                 + np.fmin(np.fmax(ix, 0.0), w - 1.0).astype(np.intp))
        out = np.take(rows, (pixel + first_pixel).reshape(-1), axis=0)
        out[~inside] = 0 if fill is None else fill.astype(dtype)
        return _from_pixel_rows(out, n, c, h, w)
    out = np.zeros((n * h * w, c), dtype)
    mask = np.zeros(n * h * w, dtype)
    columns = _axis_taps(x, w, dtype)
    for row, wy in _axis_taps(y, h, dtype):
        for col, wx in columns:
            weight = (wy * wx).reshape(-1)
            tap = np.take(rows, (row * w + col + first_pixel).reshape(-1), axis=0)
            tap *= weight[:, None]
            out += tap
            mask += weight
    if fill is not None:   # out * mask + (1 - mask) * fill, in place
        m = mask[:, None]
        out *= m
        if np.any(fill != 0):
            out += (1 - m) * fill.astype(dtype)
    return _from_pixel_rows(out, n, c, h, w)
