"""Normalize: per-channel standardisation (x - mean) / std, torchvision's transform."""
from typing import Any, Sequence

import numpy as np

from . import functional as F
from ._base import Transform


class Normalize(Transform):
    """(x - mean[c]) / std[c] on each channel c of a float image (..., C, H, W) or batch.

    mean, std: one value per channel (or one for all). inplace=True overwrites the input.
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float],
                 inplace: bool = False) -> None:
        for name, value in (("mean", mean), ("std", std)):
            try:
                v = np.asarray(value, dtype=np.float64).reshape(-1)
            except (TypeError, ValueError):
                raise TypeError("Normalize: %s must be a number or a sequence of numbers, "
                                "got %r" % (name, value)) from None
            if v.size == 0 or not np.all(np.isfinite(v)):
                raise ValueError("Normalize: %s must be finite numbers, got %r" % (name, value))
        if np.any(np.asarray(std, dtype=np.float64) == 0):
            raise ValueError("Normalize: std must not contain zeros, got %r" % (std,))
        self.mean = mean
        self.std = std
        self.inplace = bool(inplace)

    def __call__(self, tensor: Any) -> Any:
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def apply_batch(self, batch: np.ndarray) -> np.ndarray:
        return F.normalize(batch, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return "Normalize(mean=%s, std=%s)" % (self.mean, self.std)
