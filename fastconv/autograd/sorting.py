"""Sorting: sort, argsort, topk. Values are differentiable (each gradient goes back to the
element it came from); indices are int64 Tensors without grad. Sorts are stable;
descending sorts keep tied elements in their original order too, and NaN counts as the
largest value, as in PyTorch."""
import collections

import numpy as np

from .indexing import Gather
from .function import apply_unary
from .util import normalize_dim
from .._xp import array_module as _xp

SortReturn = collections.namedtuple("sort", ["values", "indices"])
TopkReturn = collections.namedtuple("topk", ["values", "indices"])


def _order(data, dim: int, descending: bool):
    """Stable argsort along dim; descending keeps ties in their original order."""
    xp = _xp(data)
    if not descending:
        return xp.argsort(data, axis=dim, kind="stable")
    n = data.shape[dim]
    flipped = xp.argsort(xp.flip(data, dim), axis=dim, kind="stable")
    return xp.flip(n - 1 - flipped, dim)


def _sorted(x, dim, descending, k=None):
    if x._data.ndim == 0:
        return x.clone(), x._new(_xp(x._data).zeros((), np.int64))
    d = normalize_dim(dim, x._data.ndim)
    order = _order(x._data, d, descending)
    if k is not None:
        order = order[(slice(None),) * d + (slice(0, k),)]
    order = order.astype(np.int64, copy=False)
    return apply_unary(Gather, x, d, order), x._new(order)


def sort(x, dim: int = -1, descending: bool = False, stable: bool = False):
    """(values, indices) of x sorted along dim."""
    return SortReturn(*_sorted(x, dim, descending))


def argsort(x, dim: int = -1, descending: bool = False, stable: bool = False):
    """The indices that sort x along dim (int64)."""
    if x._data.ndim == 0:
        return x._new(_xp(x._data).zeros((), np.int64))
    d = normalize_dim(dim, x._data.ndim)
    return x._new(_order(x._data, d, descending).astype(np.int64, copy=False))


def topk(x, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """(values, indices) of the k largest (or smallest) elements along dim, in order."""
    n = x.shape[normalize_dim(dim, x.ndim)] if x.ndim else 1
    if not 0 <= k <= n:
        raise ValueError("topk: k=%d is out of range for a dim of size %d" % (k, n))
    return TopkReturn(*_sorted(x, dim, largest, k))


class SortingOps:
    """Tensor sorting methods."""

    __slots__ = ()

    sort = sort
    argsort = argsort
    topk = topk

    def msort(self):
        """Sorted along dim 0 (values only)."""
        return sort(self, 0).values
