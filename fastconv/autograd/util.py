"""Helpers shared by the Tensor op modules: dims, shapes, broadcasting, argument checks."""
import builtins
import functools
import numbers

from .tensor_base import TensorBase


def unbroadcast(grad, shape):
    """Sum `grad` over the axes that broadcasting added or stretched to reach it from `shape`."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def normalize_dim(dim, ndim: int) -> int:
    """A dim in [-ndim, ndim) as a non-negative index; IndexError like PyTorch otherwise."""
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError("dim must be an int, got %s" % type(dim).__name__)
    low, high = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not low <= dim <= high:
        raise IndexError("Dimension out of range (expected to be in range of [%d, %d], but "
                         "got %d)" % (low, high, dim))
    return int(dim) % builtins.max(ndim, 1)


def normalize_dims(dim, ndim: int):
    """None (all dims) or a sorted tuple of distinct non-negative dims."""
    if dim is None:
        return None
    dims = tuple(normalize_dim(d, ndim) for d in (dim if isinstance(dim, (tuple, list))
                                                  else (dim,)))
    if len(set(dims)) != len(dims):
        raise ValueError("dim %r appears more than once in the reduction" % (dim,))
    return tuple(sorted(dims)) if dims and ndim else None


def shape_args(shape, op: str):
    """(2, 3) or ((2, 3),) or ([2, 3],) as a tuple of ints."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape):
        raise TypeError("%s: sizes must be ints, got %r" % (op, shape))
    return tuple(int(n) for n in shape)


def takes_tensor(function):
    """Give module-level functions a clear TypeError when their first argument is no
    Tensor (as methods, they are always called on one)."""
    @functools.wraps(function)
    def checked(x, *args, **kwargs):
        if not isinstance(x, TensorBase):
            raise TypeError("%s: expected a Tensor, got %s" % (function.__name__,
                                                              type(x).__name__))
        return function(x, *args, **kwargs)
    return checked
