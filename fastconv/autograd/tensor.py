"""Tensor: an array (numpy, or cupy on a GPU) plus what autograd needs to differentiate it.

The class is assembled from TensorBase (the array and the autograd state, which the tape
needs) and one mixin per kind of op, each in the module that holds those ops' Functions
(forward and backward side by side):

    arithmetic.py   + - * / ** % //, add(alpha=), maximum, addcmul, ...   ArithmeticOps
    unary.py        exp, log, sqrt, tanh, sigmoid, relu, sign, clamp, ...  UnaryOps
    comparison.py   == < ... eq lt ..., isclose, isnan, & | ^ ~           ComparisonOps
    reductions.py   sum, mean, prod, var/std, norm, max/min, all/any, ...  ReductionOps
    softmax.py      softmax, log_softmax, logsumexp                        SoftmaxOps
    shapes.py       reshape/view, permute, expand, repeat, split, chunk,   ShapeOps
                    unbind, flip, clone, ...
    indexing.py     t[index], gather, scatter, index_select, masked_fill,  IndexingOps
                    where, tril/triu, nonzero
    sorting.py      sort, argsort, topk                                    SortingOps
    linalg.py       matmul/@, mm, bmm, addmm, baddbmm, dot, outer          LinalgOps
    inplace.py      add_, mul_, zero_, copy_, t[i] = v, t += x, ...        InplaceOps
    conversion.py   to, float, type_as, new_zeros, numpy, item, ...        ConversionOps

This file adds construction, printing and the backward entry point.
"""
from typing import Any

import numpy as np

from .. import _xp
from .conversion import ConversionOps
from .dtypes import float32, float64, int64  # noqa: F401  (their old import path)
from .arithmetic import ArithmeticOps
from .comparison import ComparisonOps
from .function import register_post_accumulate_grad_hook, run_backward
from .indexing import IndexingOps
from .inplace import InplaceOps
from .linalg import LinalgOps
from .reductions import ReductionOps
from .shapes import ShapeOps
from .softmax import SoftmaxOps
from .sorting import SortingOps
from .tensor_base import TensorBase, version_box
from .unary import UnaryOps


class Tensor(ArithmeticOps, UnaryOps, ComparisonOps, ReductionOps, SoftmaxOps, ShapeOps,
             IndexingOps, SortingOps, LinalgOps, InplaceOps, ConversionOps, TensorBase,
             result_class=True):
    """A multi-dimensional array that can record operations for backward()."""

    __slots__ = ()
    __array_priority__ = 1000   # numpy defers to Tensor's reflected operators
    __array_ufunc__ = None      # ndarray + Tensor -> Tensor.__radd__, never a silent array

    def __init__(self, data, requires_grad: bool = False):
        if type(data) is not np.ndarray:   # the common case needs no further check
            if isinstance(data, TensorBase):
                data = data._data
            elif not _xp.is_array(data):
                data = np.asarray(data)   # lists, Python and numpy scalars (0-d results)
            if not _xp.is_array(data):
                raise TypeError("Tensor data must be a numpy or cupy array, got %s"
                                % type(data).__name__)
        self._data = data
        self.grad = None
        self._node = None
        self._retains_grad = False
        self._version_box = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __repr__(self) -> str:
        body = np.array2string(np.asarray(self._host()), separator=", ", prefix="tensor(")
        extra = ""
        if self.dtype != np.float32 and self.dtype != np.int64:
            extra += ", dtype=%s" % self.dtype
        if self.device != "cpu":
            extra += ", device='%s'" % self.device
        if self._node is not None:
            extra += ", grad_fn=%r" % self._node
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return "tensor(%s%s)" % (body, extra)

    @property
    def retains_grad(self) -> bool:
        """True when .grad is kept on this non-leaf tensor (retain_grad())."""
        return self._retains_grad

    def detach(self) -> "Tensor":
        """The same data, cut off from the tape (sharing the version counter, so that an
        in-place change through it is still seen by backward)."""
        out = self._new(self._data)
        out._version_box = version_box(self)
        return out

    def __deepcopy__(self, memo) -> "Tensor":
        """A copy of a leaf tensor (its values, requires_grad and .grad), as
        copy.deepcopy(model) and state_dict snapshots need; non-leaves raise, as in torch."""
        if self._node is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment")
        out = type(self).__new__(type(self))
        Tensor.__init__(out, self._data.copy(), requires_grad=self.requires_grad)
        if self.grad is not None:
            out.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = out
        return out

    def register_post_accumulate_grad_hook(self, hook):
        """Run hook(self) in every backward, as soon as this leaf's .grad holds its whole
        gradient (before backward returns: data-parallel training sends it from there).
        Returns a handle whose remove() unregisters the hook."""
        return register_post_accumulate_grad_hook(self, hook)

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) * gradient into every leaf's .grad."""
        if not self.requires_grad:
            raise RuntimeError("tensor does not require grad and has no grad_fn")
        xp = _xp.array_module(self._data)
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; "
                                   "pass gradient= for a tensor of shape %s" % (self.shape,))
            gradient = xp.empty(self._data.shape, dtype=self._data.dtype)
            gradient.fill(1)   # ones_like, without its Python-level overhead
        else:
            gradient = gradient._data if isinstance(gradient, TensorBase) \
                else xp.asarray(gradient)
            if tuple(gradient.shape) != self.shape:
                raise ValueError("gradient has shape %s but the tensor has shape %s"
                                 % (tuple(gradient.shape), self.shape))
            gradient = gradient.astype(self.dtype, copy=False)
        run_backward(self, gradient, retain_graph=retain_graph)


def _default_dtype(array: np.ndarray, dtype):
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind not in "fiub":
            raise TypeError("dtype must be a numeric numpy dtype, got %s" % dtype)
        return dtype
    return array.dtype  # never a silent cast: float16 stays float16 (native ops refuse it)


def tensor(data: Any, requires_grad: bool = False, dtype=None) -> Tensor:
    """A new Tensor holding a copy of `data` (array, list, scalar or Tensor).

    Python floats become float32 (PyTorch's default dtype), ints int64; numpy arrays
    keep their dtype unless `dtype` is given.
    """
    if isinstance(data, TensorBase):
        data = data._data
    if _xp.is_array(data):
        array = data
    else:
        array = np.asarray(data)
        if array.dtype == np.float64 and dtype is None:
            array = array.astype(np.float32)
        if array.dtype.kind == "O":
            raise TypeError("tensor(): data must be numeric, got %r" % (type(data).__name__,))
    target = _default_dtype(array, dtype)
    array = array.astype(target, copy=True)
    return Tensor(array, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor sharing memory with a numpy array (no copy), like torch.from_numpy."""
    if not isinstance(array, np.ndarray):
        raise TypeError("from_numpy expects a numpy.ndarray, got %s" % type(array).__name__)
    if array.dtype.kind not in "fiub":
        raise TypeError("from_numpy: unsupported dtype %s" % array.dtype)
    return Tensor(array)
