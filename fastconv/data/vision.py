"""ImageArrayDataset: images and labels held as two numpy arrays, with torchvision's
`transform` and `target_transform`, fetched an item or a whole batch at a time.

FashionMNIST and CIFAR10 are ImageArrayDatasets. An item is (transform(image),
target_transform(label)); a batch from `get_batch` is the same thing for many indices
at once, the transform applied to the whole batch (every image with its own random
parameters) when it is a fastconv transform, image by image otherwise.
"""
from typing import Any, Callable, Optional, Tuple

import numpy as np

from ._tensors import to_numpy
from .dataset import Dataset
from .transforms._base import Transform, apply_batch


def check_transform(transform: Any, name: str, owner: str) -> Optional[Callable]:
    if transform is not None and not callable(transform):
        raise TypeError("%s: %s must be callable or None, got %s"
                        % (owner, name, type(transform).__name__))
    return transform


class ImageArrayDataset(Dataset):
    """`data` (N, ...) images and `targets` (N,) int64 labels as numpy arrays."""

    data: np.ndarray
    targets: np.ndarray

    def __init__(self, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None) -> None:
        owner = type(self).__name__
        self.transform = check_transform(transform, "transform", owner)
        self.target_transform = check_transform(target_transform, "target_transform", owner)

    @property
    def arrays(self) -> Tuple[np.ndarray, np.ndarray]:
        """(data, targets) as stored, before any transform."""
        return self.data, self.targets

    def __len__(self) -> int:
        return len(self.targets)

    def _target_item(self, label: np.int64) -> Any:
        """A label as items carry it (and target_transform receives it)."""
        return label

    def __getitem__(self, index: int) -> Tuple[Any, Any]:
        n = len(self)
        i = int(index)
        if not -n <= i < n:
            raise IndexError("%s index %d out of range for %d images"
                             % (type(self).__name__, i, n))
        image = self.data[i]
        label = self._target_item(self.targets[i])
        if self.transform is not None:
            image = self.transform(image.copy())   # a transform never sees our storage
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def get_batch(self, indices: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Images and labels at `indices` (new arrays), transformed as a batch."""
        images = np.take(self.data, indices, axis=0)
        labels = np.take(self.targets, indices, axis=0)
        images = apply_batch(self.transform, images)
        tt = self.target_transform
        if isinstance(tt, Transform):
            labels = tt.apply_batch(labels)
        elif tt is not None:
            labels = np.asarray([to_numpy(tt(self._target_item(y))) for y in labels])
        return images, labels
