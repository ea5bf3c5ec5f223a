"""DataLoader: mini-batches of fastconv Tensors from a dataset, optionally shuffled.

When the dataset exposes `arrays` (a tuple of equal-length numpy arrays, as FashionMNIST,
ArrayDataset and Subset do), each batch is one fancy-indexing of each array; otherwise
items are fetched one by one and stacked.
"""
from typing import Any, Iterator, Optional, Tuple

import numpy as np


class DataLoader:
    """Iterate over `dataset` in batches of `batch_size` items.

    shuffle: a new random order every epoch (every `iter()`), drawn from
    numpy.random.default_rng(seed), so the same seed gives the same sequence of epochs.
    drop_last: leave out the last batch when it is smaller than batch_size.
    as_numpy: yield numpy arrays instead of Tensors (for use with fastconv.ops).
    Batches are fresh arrays: changing one never changes the dataset.
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 seed: Optional[int] = None, drop_last: bool = False, *,
                 as_numpy: bool = False) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError("batch_size must be an int >= 1, got %r" % (batch_size,))
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.drop_last = bool(drop_last)
        self.as_numpy = bool(as_numpy)
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        return self._rng.permutation(n) if self.shuffle else np.arange(n)

    def _fetch(self, idx: np.ndarray) -> Tuple[np.ndarray, ...]:
        arrays = getattr(self.dataset, "arrays", None)
        if arrays is not None:
            return tuple(np.take(a, idx, axis=0) for a in arrays)
        items = [self.dataset[int(i)] for i in idx]
        if not isinstance(items[0], tuple):
            return (np.stack([np.asarray(it) for it in items]),)
        return tuple(np.stack([np.asarray(it[k]) for it in items])
                     for k in range(len(items[0])))

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        to_tensor = None
        if not self.as_numpy:
            import fastconv  # the autograd layer; imported late so fastconv.data stands alone
            to_tensor = fastconv.from_numpy
        for b in range(len(self)):
            batch = self._fetch(order[b * self.batch_size:(b + 1) * self.batch_size])
            if to_tensor is not None:
                batch = tuple(to_tensor(a) for a in batch)
            yield batch if len(batch) > 1 else batch[0]
