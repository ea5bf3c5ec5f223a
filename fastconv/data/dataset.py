"""Dataset, TensorDataset, Subset, ConcatDataset and random_split (torch.utils.data's).

Besides torch's item protocol (`dataset[i]`), a dataset may fetch a whole batch at
once: `get_batch(indices)` returns the batch already collated (a tuple of numpy arrays,
one per item field, with any transform applied to the whole batch). DataLoader uses
that when it can (`batch_fetcher`), which turns a batch of 64 items from 64 Python
calls and a stack into one fancy-indexing per array. A dataset exposing only `arrays`
(a tuple of equal-length arrays, fastconv's older protocol) is sliced the same way.
"""
import math
import numbers
import warnings
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from ._random import check_generator, resolve_generator
from ._tensors import to_numpy

__all__ = ["Dataset", "TensorDataset", "ArrayDataset", "Subset", "ConcatDataset",
           "random_split", "batch_fetcher"]

BatchFetcher = Callable[[np.ndarray], Tuple[np.ndarray, ...]]


class Dataset:
    """Base of map-style datasets: subclasses define __getitem__ (and usually __len__).
    `a + b` concatenates two datasets."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError("%s must define __getitem__" % type(self).__name__)

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


def _defined_in(cls: type, name: str) -> Optional[type]:
    return next((k for k in cls.__mro__ if name in vars(k)), None)


def _item_override(dataset: Any, batch_method: str) -> bool:
    """Whether a subclass redefined __getitem__ below the class that defines the batch
    method: its items then differ from the batches, so only items can be trusted."""
    getter = _defined_in(type(dataset), "__getitem__")
    batcher = _defined_in(type(dataset), batch_method)
    return (getter is not None and batcher is not None and getter is not batcher
            and issubclass(getter, batcher))


def batch_fetcher(dataset: Any) -> Optional[BatchFetcher]:
    """A function indices -> collated batch (tuple of numpy arrays) for `dataset`, or
    None when the dataset can only give items one by one (also when a subclass
    redefined __getitem__ but not the batch method)."""
    compose = getattr(dataset, "_batch_fetcher", None)
    if compose is not None:
        return None if _item_override(dataset, "_batch_fetcher") else compose()
    get_batch = getattr(dataset, "get_batch", None)
    if callable(get_batch):
        return None if _item_override(dataset, "get_batch") else get_batch
    arrays = getattr(dataset, "arrays", None)
    if arrays is not None and not callable(arrays):
        return lambda idx: tuple(np.take(a, idx, axis=0) for a in arrays)
    return None


def _check_lengths(arrays: Sequence[np.ndarray], owner: str) -> int:
    if not arrays:
        raise ValueError("%s needs at least one array" % owner)
    n = len(arrays[0]) if arrays[0].ndim else -1
    for k, a in enumerate(arrays):
        if a.ndim == 0 or len(a) != n:
            raise ValueError("%s: array %d has shape %s; every array needs length %d along "
                             "its first axis" % (owner, k, a.shape, max(n, 0)))
    return n


class TensorDataset(Dataset):
    """Items are tuples (t0[i], t1[i], ...) of equal-length numpy arrays or fastconv
    Tensors (torch.utils.data.TensorDataset); `tensors` holds them as given."""

    def __init__(self, *tensors: Any) -> None:
        self.tensors = tensors
        self._arrays = tuple(to_numpy(t) for t in tensors)
        _check_lengths(self._arrays, type(self).__name__)

    @property
    def arrays(self) -> Tuple[np.ndarray, ...]:
        """The data as numpy arrays (Tensors' data is shared, not copied)."""
        return self._arrays

    def __len__(self) -> int:
        return len(self._arrays[0])

    def __getitem__(self, index: Any) -> Tuple[Any, ...]:
        return tuple(t[index] for t in self.tensors)

    def get_batch(self, indices: np.ndarray) -> Tuple[np.ndarray, ...]:
        """The items at `indices`, collated: one new array per field."""
        return tuple(np.take(a, indices, axis=0) for a in self._arrays)


class ArrayDataset(TensorDataset):
    """A TensorDataset of numpy arrays (fastconv's earlier name for it)."""

    def __init__(self, *arrays: Any) -> None:
        super().__init__(*(np.asarray(to_numpy(a)) for a in arrays))


def _normalized_indices(indices: Any, n: int, owner: str) -> np.ndarray:
    idx = np.asarray(indices if not isinstance(indices, range) else np.arange(
        indices.start, indices.stop, indices.step))
    if idx.size == 0:
        return np.zeros(0, np.int64)
    if idx.dtype.kind not in "iu":
        raise TypeError("%s: indices must be integers, got %s" % (owner, idx.dtype))
    idx = idx.astype(np.int64).reshape(-1)
    if idx.min() < -n or idx.max() >= n:
        raise IndexError("%s: indices must lie in [-%d, %d)" % (owner, n, n))
    return np.where(idx < 0, idx + n, idx)


class Subset(Dataset):
    """The items of `dataset` at `indices`, in that order (torch.utils.data.Subset)."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = _normalized_indices(indices, len(dataset), "Subset")

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (list, tuple)):
            return [self.dataset[int(self.indices[i])] for i in index]
        return self.dataset[int(self.indices[index])]

    def _batch_fetcher(self) -> Optional[BatchFetcher]:
        base = batch_fetcher(self.dataset)
        if base is None:
            return None
        return lambda idx: base(self.indices[np.asarray(idx, dtype=np.int64)])


class ConcatDataset(Dataset):
    """Several datasets one after another (torch.utils.data.ConcatDataset)."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        sizes = [len(d) for d in self.datasets]
        self.cumulative_sizes: List[int] = np.cumsum(sizes).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def _locate(self, index: int) -> Tuple[int, int]:
        n = len(self)
        if not -n <= index < n:
            raise IndexError("ConcatDataset index %d out of range for %d items" % (index, n))
        if index < 0:
            index += n
        part = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = self.cumulative_sizes[part - 1] if part else 0
        return part, index - start

    def __getitem__(self, index: int) -> Any:
        part, local = self._locate(int(index))
        return self.datasets[part][local]

    def _batch_fetcher(self) -> Optional[BatchFetcher]:
        fetchers = [batch_fetcher(d) for d in self.datasets]
        if any(f is None for f in fetchers):
            return None
        ends = np.asarray(self.cumulative_sizes)
        starts = np.concatenate([[0], ends[:-1]])

        def fetch(idx: np.ndarray) -> Tuple[np.ndarray, ...]:
            idx = np.asarray(idx, dtype=np.int64)
            part = np.searchsorted(ends, idx, side="right")
            pieces, where = [], []
            for p in np.unique(part):
                chosen = np.flatnonzero(part == p)
                batch = fetchers[p](idx[chosen] - starts[p])
                pieces.append(batch if isinstance(batch, tuple) else (batch,))
                where.append(chosen)
            order = np.argsort(np.concatenate(where), kind="stable")
            return tuple(np.concatenate([pc[k] for pc in pieces])[order]
                         for k in range(len(pieces[0])))
        return fetch


def _split_lengths(n: int, lengths: Sequence[Any]) -> List[int]:
    values = list(lengths)
    if not values:
        raise ValueError("random_split: lengths must not be empty")
    if all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
        if any(v < 0 for v in values):
            raise ValueError("random_split: lengths must be non-negative, got %r" % (values,))
        if sum(values) != n:
            raise ValueError("random_split: sum of input lengths (%d) does not equal the "
                             "length of the input dataset (%d)" % (sum(values), n))
        return [int(v) for v in values]
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and 0 <= v <= 1
               for v in values) or not math.isclose(sum(values), 1.0, abs_tol=1e-9):
        raise ValueError("random_split: lengths must be ints summing to the dataset's length "
                         "or fractions in [0, 1] summing to 1, got %r" % (values,))
    out = [int(math.floor(n * f)) for f in values]
    for i in range(n - sum(out)):   # the remainder, one each, round robin
        out[i % len(out)] += 1
    for i, length in enumerate(out):
        if length == 0:
            warnings.warn("random_split: length of split at index %d is 0; this results in "
                          "an empty dataset" % i)
    return out


def random_split(dataset: Any, lengths: Sequence[Any],
                 generator: Optional[np.random.Generator] = None) -> List[Subset]:
    """Random non-overlapping Subsets of the given lengths (ints summing to len(dataset),
    or fractions summing to 1: each gets floor(n * f), the remainder dealt round robin).
    The permutation comes from `generator` or fastconv's process-wide generator."""
    generator = check_generator(generator, "random_split")
    sizes = _split_lengths(len(dataset), lengths)
    order = resolve_generator(generator).permutation(sum(sizes))
    bounds = np.cumsum([0] + sizes)
    return [Subset(dataset, order[bounds[k]:bounds[k + 1]]) for k in range(len(sizes))]
