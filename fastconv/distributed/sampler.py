"""DistributedSampler: each process a disjoint shard of one shared order of the data set
(torch.utils.data.distributed.DistributedSampler's arguments and rules)."""
import math
import numbers
from typing import Any, Iterator, Optional, Sized

import numpy as np

from ..data import Subset
from ..data.sampler import Sampler


def _replicas_and_rank(num_replicas: Optional[int], rank: Optional[int], owner: str):
    """num_replicas and rank as given, else the world size and rank of init()."""
    if num_replicas is None or rank is None:
        from .process_group import get_rank, get_world_size, is_initialized
        if not is_initialized():
            raise RuntimeError("%s: pass num_replicas and rank, or call "
                               "fastconv.distributed.init() first" % owner)
        num_replicas = get_world_size() if num_replicas is None else num_replicas
        rank = get_rank() if rank is None else rank
    for value, name in ((num_replicas, "num_replicas"), (rank, "rank")):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError("%s: %s must be an int, got %r" % (owner, name, value))
    if num_replicas < 1:
        raise ValueError("%s: num_replicas must be >= 1, got %d" % (owner, num_replicas))
    if not 0 <= rank < num_replicas:
        raise ValueError("Invalid rank %d, rank should be in the interval [0, %d]"
                         % (rank, num_replicas - 1))
    return int(num_replicas), int(rank)


class DistributedSampler(Sampler):
    """The indices of this process's shard of `dataset`, for DataLoader(sampler=...).

    Every process draws the same order (a permutation seeded with seed + epoch when
    shuffle, else 0..n-1) and takes every num_replicas-th index from position `rank`,
    so the shards are disjoint and together cover the data set. When n is not a
    multiple of num_replicas: drop_last=False pads the order with its own first indices
    up to a multiple (so a few images appear twice in an epoch, as in torch);
    drop_last=True cuts the order to the largest multiple instead. Call
    set_epoch(epoch) before each epoch for a new order; without it every epoch
    repeats the first one's.
    """

    def __init__(self, dataset: Sized, num_replicas: Optional[int] = None,
                 rank: Optional[int] = None, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False) -> None:
        self.num_replicas, self.rank = _replicas_and_rank(num_replicas, rank,
                                                          "DistributedSampler")
        if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
            raise TypeError("DistributedSampler: seed must be an int, got %r" % (seed,))
        self.dataset = dataset
        self.epoch = 0
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def index_array(self) -> np.ndarray:
        """This rank's indices for the current epoch, as an int64 array."""
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        order = order.astype(np.int64, copy=False)
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > n:
            order = np.resize(order, self.total_size)   # repeats the order from its start
        return order[self.rank:self.total_size:self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(self.index_array().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the order of this epoch (seed + epoch) from the next iteration on."""
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral):
            raise TypeError("DistributedSampler.set_epoch: epoch must be an int, got %r"
                            % (epoch,))
        self.epoch = int(epoch)


def eval_shard(dataset: Any, num_replicas: Optional[int] = None,
               rank: Optional[int] = None) -> Subset:
    """This rank's part of an evaluation set: every num_replicas-th item from `rank`, with
    no padding, so that metrics summed over the ranks (reduce_eval_stats) count each
    item exactly once (a DistributedSampler would count its padding twice)."""
    num_replicas, rank = _replicas_and_rank(num_replicas, rank, "eval_shard")
    return Subset(dataset, range(rank, len(dataset), num_replicas))
