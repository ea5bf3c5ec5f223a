"""TensorBase: what every Tensor holds (its array and its autograd state), and nothing else.

The tape (function.py) needs only this part of a Tensor, so it imports this module and
never tensor.py: tensor.py builds the full Tensor from TensorBase and the method mixins
(arithmetic.py, reductions.py, ...), whose ops in turn use the tape. Ops create their
results as instances of `_result_class`, which the Tensor class names for itself in its
class statement (`class Tensor(..., result_class=True)`); subclasses such as
nn.Parameter inherit it, so an op on a Parameter gives a plain Tensor, as in PyTorch.
"""
import operator
from typing import Optional, Tuple

import numpy as np

from .. import _xp
from .._device import device

_CPU, _CUDA = device("cpu"), device("cuda")

_new_object = object.__new__


class TensorBase:
    """The array (numpy, or cupy on a GPU) and the autograd state of a Tensor."""

    __slots__ = ("_data", "requires_grad", "grad", "_node", "_retains_grad", "_version_box",
                 "__weakref__")

    _result_class: type   # the class ops return; set by __init_subclass__(result_class=True)

    def __init_subclass__(cls, result_class: bool = False, **kwargs):
        super().__init_subclass__(**kwargs)
        if result_class:
            cls._result_class = cls

    # ---------------------------------------------------------------- the array
    def _set_data(self, value) -> None:
        if isinstance(value, TensorBase):
            value = value._data
        if not _xp.is_array(value):
            raise TypeError("Tensor.data must be a numpy or cupy array, got %s"
                            % type(value).__name__)
        self._data = value

    def _get_data(self) -> "TensorBase":
        """A Tensor sharing this one's memory, cut off from the tape and from its version
        counter: changes made through it are invisible to autograd (torch's .data)."""
        return self._new(self._data)

    data = property(_get_data, _set_data,
                    doc="This tensor's values as a detached Tensor sharing its memory; "
                        "assigning a Tensor or an array replaces them (torch's .data).")

    @property
    def shape(self) -> Tuple[int, ...]:
        return tuple(self._data.shape)

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def device(self) -> "device":
        """Where the values live: device('cpu'), or device('cuda') for cupy arrays (a
        device compares equal to its string too)."""
        return _CPU if isinstance(self._data, np.ndarray) else _CUDA

    def dim(self) -> int:
        """The number of dimensions (ndim)."""
        return self._data.ndim

    def size(self, dim: Optional[int] = None):
        """The shape, or the size of one dim."""
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        """The number of elements."""
        return int(self._data.size)

    # ---------------------------------------------------------------- autograd state
    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than recorded by an op."""
        return self._node is None

    @property
    def grad_fn(self):
        """The recorded op that made this tensor, None for leaves."""
        return self._node

    def requires_grad_(self, requires_grad: bool = True):
        """Set whether this leaf records operations for backward (in place)."""
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError("only floating point tensors can require gradients, got %s"
                            % self._data.dtype)
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

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen (shared with its views);
        backward() compares it with the version an op saved, as PyTorch does."""
        box = self._version_box
        return 0 if box is None else box[0]

    def _new(self, data, node=None):
        """A new Tensor of the result class holding `data` (an array, not checked), recorded
        as made by `node` (and then requiring grad) or a leaf without grad."""
        return new_tensor(self._result_class, data, node)


def as_array(value):
    """value itself when it is a numpy or cupy array; numpy scalars and Python numbers (what
    numpy reductions and user Functions may return) as 0-d arrays; others a TypeError."""
    if type(value) is np.ndarray or _xp.is_array(value):
        return value
    array = np.asarray(value)
    if array.dtype.kind not in "fiub":
        raise TypeError("expected an array, got %s" % type(value).__name__)
    return array


def new_tensor(cls, data, node=None):
    """An instance of `cls` (a TensorBase subclass) around `data`, without __init__'s
    checks: the constructor of op results, where data is an array made by the op."""
    t = _new_object(cls)
    t._data = data
    t.requires_grad = node is not None
    t.grad = None
    t._node = node
    t._retains_grad = False
    t._version_box = None
    return t


# ---------------------------------------------------------------- version counters
#
# A tensor's version counter is a one-element list, made when first needed (an in-place
# change, a view, a save for backward) and shared by the tensor and its views: one int
# per memory, bumped by every in-place op; `_version_box` is None until then (version 0).

def version_box(t) -> list:
    """t's version counter, made on first use."""
    box = t._version_box
    if box is None:
        box = t._version_box = [0]
    return box


def bump_version(t) -> None:
    """Count one in-place change of t's memory (seen by t and every view sharing it).

    Public as fastconv.autograd.increment_version (torch.autograd.graph's name), for code
    that changes a tensor's array behind autograd's back (optimizers, out= kernels)."""
    box = t._version_box
    if box is None:
        t._version_box = [1]
    else:
        box[0] += 1


def memory_root(array):
    """The array that owns `array`'s memory (array itself when it owns it)."""
    base = array.base
    while base is not None and type(base) is type(array):
        array, base = base, base.base
    return array


def share_version_if_view(base, view) -> None:
    """Give `view` the version counter of `base` when view's array shares base's memory
    (a reshape or basic index may return a view or a copy)."""
    owner = view._data.base
    if owner is None:            # view's array owns its memory: a copy
        return
    data = base._data
    if owner is data or owner is data.base or memory_root(owner) is memory_root(data):
        view._version_box = version_box(base)
