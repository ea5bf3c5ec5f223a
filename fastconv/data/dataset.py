"""Small datasets over numpy arrays: ArrayDataset (like torch's TensorDataset) and Subset.

Both expose `arrays`, a tuple of equal-length numpy arrays, so DataLoader can slice
whole batches out of them instead of stacking items one by one.
"""
from typing import Any, Sequence, Tuple

import numpy as np


class ArrayDataset:
    """Items are tuples (a[i], b[i], ...) of equal-length arrays."""

    def __init__(self, *arrays: np.ndarray) -> None:
        if not arrays:
            raise ValueError("ArrayDataset needs at least one array")
        arrays = tuple(np.asarray(a) for a in arrays)
        n = len(arrays[0])
        for k, a in enumerate(arrays):
            if a.ndim == 0 or len(a) != n:
                raise ValueError("ArrayDataset: array %d has shape %s; every array needs "
                                 "length %d along its first axis" % (k, a.shape, n))
        self.arrays: Tuple[np.ndarray, ...] = arrays

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> Tuple[Any, ...]:
        return tuple(a[index] for a in self.arrays)


class Subset:
    """The items of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError("Subset: indices must lie in [-%d, %d)" % (n, n))
        self.dataset = dataset
        self.indices = np.where(idx < 0, idx + n, idx)
        base = getattr(dataset, "arrays", None)
        self.arrays = None if base is None else tuple(a[self.indices] for a in base)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]
