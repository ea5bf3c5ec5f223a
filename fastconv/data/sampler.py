"""Samplers: the order in which a DataLoader visits a dataset (torch.utils.data's).

A sampler yields indices; BatchSampler groups them into lists. The built-in samplers
also produce their whole order as one numpy array (`index_array`), so that DataLoader
slices batches out of it without a Python loop per index.
"""
import numbers
from typing import Any, Iterator, List, Optional, Sized

import numpy as np

from ._random import check_generator, draw_seed

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "BatchSampler"]


class Sampler:
    """Base of samplers: subclasses define __iter__ (indices) and usually __len__."""

    def __init__(self, data_source: Optional[Sized] = None) -> None:
        pass

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError


def _count(value: Any, name: str, owner: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError("%s: %s must be an int >= %d, got %r" % (owner, name, minimum, value))
    return int(value)


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def index_array(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of data_source, new at every iteration.

    replacement=False: a permutation (several, cut to num_samples, when num_samples is
    larger than the dataset); True: num_samples independent uniform draws.
    generator: a numpy Generator that the orders are drawn from; None draws a seed
    from fastconv's process-wide generator at each iteration (as torch does), so
    fastconv.manual_seed makes the orders reproducible.
    """

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: Optional[int] = None,
                 generator: Optional[np.random.Generator] = None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError("RandomSampler: replacement must be a bool, got %r" % (replacement,))
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = None if num_samples is None else _count(
            num_samples, "num_samples", "RandomSampler", 1)
        self.generator = check_generator(generator, "RandomSampler")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def index_array(self) -> np.ndarray:
        n = len(self.data_source)
        rng = self.generator if self.generator is not None else np.random.default_rng(
            draw_seed(None))
        count = self.num_samples
        if count == 0:
            return np.zeros(0, np.int64)
        if self.replacement:
            return rng.integers(0, n, size=count, dtype=np.int64)
        if n == 0:
            raise ValueError("RandomSampler: cannot draw %d samples without replacement from "
                             "an empty dataset" % count)
        parts = [rng.permutation(n) for _ in range(-(-count // n))]
        return np.concatenate(parts)[:count].astype(np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(self.index_array().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order, new at every iteration."""

    def __init__(self, indices: Any, generator: Optional[np.random.Generator] = None) -> None:
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        self.generator = check_generator(generator, "SubsetRandomSampler")

    def index_array(self) -> np.ndarray:
        rng = self.generator if self.generator is not None else np.random.default_rng(
            draw_seed(None))
        return self.indices[rng.permutation(len(self.indices))]

    def __iter__(self) -> Iterator[int]:
        return iter(self.index_array().tolist())

    def __len__(self) -> int:
        return len(self.indices)


def index_array(sampler: Any) -> np.ndarray:
    """A sampler's whole order as an int64 array (one pass over it)."""
    fast = getattr(sampler, "index_array", None)
    if callable(fast):
        return np.asarray(fast(), dtype=np.int64)
    return np.fromiter((int(i) for i in sampler), dtype=np.int64)


class BatchSampler(Sampler):
    """Lists of batch_size indices from `sampler`; the last is shorter unless drop_last."""

    def __init__(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        if not hasattr(sampler, "__iter__"):
            raise TypeError("BatchSampler: sampler must be iterable, got %s"
                            % type(sampler).__name__)
        self.sampler = sampler
        self.batch_size = _count(batch_size, "batch_size", "BatchSampler", 1)
        if not isinstance(drop_last, bool):
            raise ValueError("BatchSampler: drop_last must be a bool, got %r" % (drop_last,))
        self.drop_last = drop_last

    def index_batches(self) -> Iterator[np.ndarray]:
        """The batches as int64 arrays."""
        order = index_array(self.sampler)
        size = self.batch_size
        stop = len(order) - len(order) % size if self.drop_last else len(order)
        for start in range(0, stop, size):
            yield order[start:start + size]

    def __iter__(self) -> Iterator[List[int]]:
        for batch in self.index_batches():
            yield batch.tolist()

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
