"""RandomHorizontalFlip and RandomVerticalFlip: mirror each sample with probability p."""
from typing import Optional

import numpy as np

from . import _kernels
from .._random import check_generator
from ._base import Transform, check_images, check_probability, uniform_draws


class _RandomFlip(Transform):
    axis = -1
    channel_last_uint8 = True

    def __init__(self, p: float = 0.5, *, generator: Optional[np.random.Generator] = None
                 ) -> None:
        name = type(self).__name__
        self.p = check_probability(p, name)
        self.generator = check_generator(generator, name)

    def _apply(self, batch: np.ndarray) -> np.ndarray:
        check_images(batch, type(self).__name__)
        flip = uniform_draws(self.generator, len(batch), 1)[:, 0] < self.p
        return _kernels.flip_where(batch, flip, self.axis)

    def __repr__(self) -> str:
        return "%s(p=%s)" % (type(self).__name__, self.p)


class RandomHorizontalFlip(_RandomFlip):
    """Mirror each image left to right with probability p (one uniform draw per image,
    flipped when it is < p, as torchvision draws torch.rand(1) < p)."""
    axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Mirror each image top to bottom with probability p."""
    axis = -2
