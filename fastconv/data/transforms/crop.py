"""RandomCrop: a window of fixed size at a random place, after optional padding."""
import numbers
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from . import _kernels
from .._random import check_generator
from ._base import Transform, check_fill, check_images, uniform_draws
from .functional import check_padding_mode, pad_batch, parse_padding


def parse_size(size: Any, owner: str) -> Tuple[int, int]:
    """torchvision's size forms -> (height, width): an int, or a sequence of 1 or 2."""
    values = size if isinstance(size, (list, tuple)) else [size]
    if len(values) not in (1, 2) or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
        raise TypeError("%s: size must be an int or a sequence of 1 or 2 ints, got %r"
                        % (owner, size))
    if any(v <= 0 for v in values):
        raise ValueError("%s: size must be positive, got %r" % (owner, size))
    return (int(values[0]), int(values[-1]))


class RandomCrop(Transform):
    """Crop each image at a random place to `size` (an int for a square, or (h, w)).

    padding: added first on every image (int, (left/right, top/bottom) or (left, top,
    right, bottom)), filled as padding_mode says: "constant" (with `fill`, one value or
    one per channel), "edge", "reflect" or "symmetric". pad_if_needed: also pad images
    smaller than `size`, by the shortfall on both sides, as torchvision does. The top
    and left corners are uniform over every place the window fits, drawn per image.
    """

    channel_last_uint8 = True

    def __init__(self, size: Union[int, Sequence[int]], padding: Optional[Any] = None,
                 pad_if_needed: bool = False, fill: Any = 0, padding_mode: str = "constant",
                 *, generator: Optional[np.random.Generator] = None) -> None:
        self.size = parse_size(size, "RandomCrop")
        self.padding = padding
        self._sides = (0, 0, 0, 0) if padding is None else parse_padding(padding, "RandomCrop")
        self.pad_if_needed = bool(pad_if_needed)
        self.fill = check_fill(fill, "RandomCrop")
        self.padding_mode = check_padding_mode(padding_mode, "RandomCrop")
        self.generator = check_generator(generator, "RandomCrop")

    def _padded(self, batch: np.ndarray) -> np.ndarray:
        batch = pad_batch(batch, self._sides, self.fill, self.padding_mode, "RandomCrop")
        th, tw = self.size
        h, w = batch.shape[-2:]
        if self.pad_if_needed and w < tw:
            batch = pad_batch(batch, (tw - w, 0, tw - w, 0), self.fill, self.padding_mode,
                              "RandomCrop")
        if self.pad_if_needed and h < th:
            batch = pad_batch(batch, (0, th - h, 0, th - h), self.fill, self.padding_mode,
                              "RandomCrop")
        return batch

    def _apply(self, batch: np.ndarray) -> np.ndarray:
        check_images(batch, "RandomCrop")
        padded = self._padded(batch)
        th, tw = self.size
        h, w = padded.shape[-2:]
        if h < th or w < tw:
            raise ValueError("RandomCrop: size %s is larger than the %s image %s"
                             % ((th, tw), "padded" if any(self._sides) else "input", (h, w)))
        u = uniform_draws(self.generator, len(padded), 2)
        top = np.minimum((u[:, 0] * (h - th + 1)).astype(np.int64), h - th)
        left = np.minimum((u[:, 1] * (w - tw + 1)).astype(np.int64), w - tw)
        return np.ascontiguousarray(_kernels.crop(padded, top, left, th, tw))

    def __repr__(self) -> str:
        return "RandomCrop(size=%s, padding=%s)" % (self.size, self.padding)
