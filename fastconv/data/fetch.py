"""Fetcher: one batch of indices -> one collated batch, in the loader's process or a
worker's. With the default collate the result holds numpy arrays (cheap to send from a
worker); the DataLoader wraps them as Tensors at the end."""
from typing import Any, Callable, Optional

import numpy as np

from .collate import collate_arrays, default_collate
from .dataset import batch_fetcher


def is_default_collate(collate_fn: Optional[Callable]) -> bool:
    return collate_fn is None or collate_fn is default_collate


class Fetcher:
    """Fetch items from `dataset` for one index (auto_collation=False) or one batch.

    Batches use, in order of preference: the dataset's whole-batch protocol (only with
    the default collate), its __getitems__ (torch's list-of-items protocol), or one
    __getitem__ per index; then collate_fn (numpy collation for the default one).
    """

    def __init__(self, dataset: Any, auto_collation: bool,
                 collate_fn: Optional[Callable]) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.default = is_default_collate(collate_fn)
        self.collate_fn = collate_fn
        self.batch = batch_fetcher(dataset) if self.default and auto_collation else None

    def __call__(self, index: Any) -> Any:
        if not self.auto_collation:
            item = self.dataset[index]
            return item if self.default else self.collate_fn(item)
        if self.batch is not None and isinstance(index, np.ndarray):
            return self.batch(index)
        keys = index.tolist() if isinstance(index, np.ndarray) else list(index)
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(keys) if callable(getitems) else [self.dataset[k] for k in keys]
        return collate_arrays(samples) if self.default else self.collate_fn(samples)
