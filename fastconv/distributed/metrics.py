"""Metrics over all processes, for evaluation: each rank evaluates its shard
(eval_shard), then these add up the counts so that every rank reports the whole set's
numbers."""
from typing import Any, Sequence

import numpy as np

from ._mpi import mpi
from .process_group import get_comm


def all_reduce_sum(values: Sequence[float], group: Any = None) -> np.ndarray:
    """The element-wise sum over all ranks of `values` (numbers or an array), as float64."""
    local = np.array(values, dtype=np.float64, copy=True).reshape(-1)
    get_comm(group).Allreduce(mpi().IN_PLACE, local, op=mpi().SUM)
    return local


def all_reduce_mean(value: float, weight: float = 1.0, group: Any = None) -> float:
    """The weighted mean over all ranks of `value` (each rank's weight: its count of
    items, say); the plain mean when every weight is 1."""
    total, weights = all_reduce_sum([float(value) * float(weight), float(weight)], group)
    if weights == 0:
        raise ValueError("all_reduce_mean: the weights add up to 0 over all ranks")
    return float(total / weights)


def reduce_eval_stats(stats: Any, group: Any = None):
    """fastconv.train.EvalStats over all ranks from each rank's stats on its shard: the
    loss and accuracy of the whole set (weighted by each shard's image count), the total
    image count, and the slowest rank's seconds."""
    from ..train import EvalStats

    loss, correct, images = all_reduce_sum(
        [stats.loss * stats.images, stats.accuracy * stats.images, stats.images], group)
    seconds = np.array([stats.seconds], dtype=np.float64)
    get_comm(group).Allreduce(mpi().IN_PLACE, seconds, op=mpi().MAX)
    images = int(round(images))
    return EvalStats(loss=float(loss) / max(images, 1),
                     accuracy=float(correct) / max(images, 1),
                     images=images, seconds=float(seconds[0]))
