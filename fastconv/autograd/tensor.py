"""Tensor: an array (numpy, or cupy on a GPU) plus what autograd needs to differentiate it.

This file holds construction, conversion and the backward entry point. The arithmetic,
reductions and shape methods (+ - * / @, sum, reshape, indexing, ...) are attached from
fastconv.autograd.math_ops, where each one's forward and backward sit side by side.
"""
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from .. import _xp
from .function import run_backward

float32 = np.float32
float64 = np.float64
int64 = np.int64

_FLOAT_KINDS = "f"


def _array_module(data):
    """numpy or cupy for Tensor data; anything else is a TypeError."""
    if not _xp.is_array(data):
        raise TypeError("Tensor data must be a numpy or cupy array, got %s"
                        % type(data).__name__)
    return _xp.array_module(data)


class Tensor:
    """A multi-dimensional array that can record operations for backward()."""

    __slots__ = ("data", "requires_grad", "grad", "_node", "_retains_grad", "__weakref__")
    __array_priority__ = 1000   # numpy defers to Tensor's reflected operators
    __array_ufunc__ = None      # ndarray + Tensor -> Tensor.__radd__, never a silent array

    def __init__(self, data, requires_grad: bool = False):
        if type(data) is not np.ndarray:   # the common case needs no further check
            if isinstance(data, Tensor):
                data = data.data
            elif not _xp.is_array(data):
                data = np.asarray(data)   # lists, Python and numpy scalars (0-d results)
            _array_module(data)
        self.data = data
        self.grad: Optional["Tensor"] = None
        self._node = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ---------------------------------------------------------------- properties
    @property
    def shape(self) -> Tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def device(self) -> str:
        return "cpu" if isinstance(self.data, np.ndarray) else "cuda"

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than recorded by an op."""
        return self._node is None

    @property
    def grad_fn(self):
        """The recorded op that made this tensor, None for leaves."""
        return self._node

    def dim(self) -> int:
        return self.data.ndim

    def size(self, dim: Optional[int] = None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __hash__(self) -> int:
        return id(self)

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

    # ---------------------------------------------------------------- autograd state
    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set whether this leaf records operations for backward (in place)."""
        if requires_grad and self.data.dtype.kind not in _FLOAT_KINDS:
            raise TypeError("only floating point tensors can require gradients, got %s"
                            % self.dtype)
        if not requires_grad and self._node is not None:
            raise RuntimeError("requires_grad can only be turned off on leaf tensors; "
                               "use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep .grad on this non-leaf tensor after backward()."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that does not require grad")
        self._retains_grad = True

    def detach(self) -> "Tensor":
        """The same data, cut off from the tape."""
        return Tensor(self.data)

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) * gradient into every leaf's .grad."""
        if not self.requires_grad:
            raise RuntimeError("tensor does not require grad and has no grad_fn")
        xp = _array_module(self.data)
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; "
                                   "pass gradient= for a tensor of shape %s" % (self.shape,))
            gradient = xp.empty(self.data.shape, dtype=self.data.dtype)
            gradient.fill(1)   # ones_like, without its Python-level overhead
        else:
            gradient = gradient.data if isinstance(gradient, Tensor) else xp.asarray(gradient)
            if tuple(gradient.shape) != self.shape:
                raise ValueError("gradient has shape %s but the tensor has shape %s"
                                 % (tuple(gradient.shape), self.shape))
            gradient = gradient.astype(self.dtype, copy=False)
        run_backward(self, gradient, retain_graph=retain_graph)

    # ---------------------------------------------------------------- conversion
    def _host(self):
        return self.data if isinstance(self.data, np.ndarray) else self.data.get()

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (shared, not copied, on the CPU)."""
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on a tensor that requires grad; "
                               "use tensor.detach().numpy()")
        if self.device != "cpu":
            raise TypeError("can't convert a cuda tensor to numpy; use tensor.cpu() first")
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError("only one-element tensors can be converted to a Python scalar, "
                             "got shape %s" % (self.shape,))
        return self._host().reshape(()).item()

    def tolist(self):
        return self._host().tolist()

    def __array__(self, dtype=None, copy=None):
        host = self._host()
        return host if dtype is None else host.astype(dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError("the truth value of a tensor with more than one element is "
                               "ambiguous")
        return bool(self.item())

    def to(self, *args, dtype=None, device=None) -> "Tensor":
        """to(device), to(dtype), to(device, dtype) or to(other): a converted copy, self when
        nothing changes. Differentiable across devices and between float dtypes."""
        from .math_ops import to
        return to(self, *args, dtype=dtype, device=device)

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def cuda(self) -> "Tensor":
        return self.to("cuda")


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
    if isinstance(data, Tensor):
        data = data.data
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



from . import function as _function  # noqa: E402

_function.Tensor = Tensor  # function.py cannot import this module at its top (a cycle)

from . import math_ops  # noqa: E402,F401  (attaches the arithmetic methods to Tensor)
