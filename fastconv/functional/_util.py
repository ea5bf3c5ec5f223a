"""Small helpers shared by the functional ops: array namespace, dims, reductions."""

import numpy as np

from ..autograd import Tensor


from .._xp import array_module  # noqa: E402,F401  (numpy or cupy for an array)


def normalize_dim(dim: int, ndim: int, name: str = "dim") -> int:
    """A possibly negative axis as a non-negative one; out of range is an IndexError."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError("%s must be an int, got %r" % (name, dim))
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        raise IndexError("%s=%d is out of range for a %d-D input (expected in [%d, %d])"
                         % (name, dim, ndim, -rank, rank - 1))
    return int(dim) % rank


def check_reduction(reduction: str) -> str:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError("reduction must be 'mean', 'sum' or 'none', got %r" % (reduction,))
    return reduction


def check_tensor(value, name: str, optional: bool = False):
    """Functional ops take Tensors (as torch does); anything else is a TypeError."""
    if isinstance(value, Tensor) or (value is None and optional):
        return
    raise TypeError("%s must be a fastconv Tensor, got %s (wrap arrays with "
                    "fastconv.tensor or fastconv.from_numpy)" % (name, type(value).__name__))
