"""Conversions: dtype and device changes (differentiable between float dtypes and across
devices), operands promoted to one dtype, and the values out of a Tensor (numpy(),
item(), tolist(), float(t), ...)."""
import numpy as np

from .function import Function
from .promotion import FLOAT32, category, is_operand, is_scalar, result_type
from .tensor_base import TensorBase, new_tensor
from .._xp import array_module as _xp


# ==================================================================== device and dtype

class ToDevice(Function):
    @staticmethod
    def forward(ctx, x, device):
        ctx.source = "cpu" if isinstance(x, np.ndarray) else "cuda"
        return move(x, device)

    @staticmethod
    def backward(ctx, grad):
        return move(grad, ctx.source), None


def move(array, device: str):
    """The array on `device` ('cpu' or 'cuda'): itself when it is there already."""
    if device == "cpu":
        return array if isinstance(array, np.ndarray) else array.get()
    if device == "cuda":
        from ..backends.cuda import require_cupy
        return require_cupy().asarray(array)
    raise ValueError("device must be 'cpu' or 'cuda', got %r" % (device,))


def to_device(x, device: str):
    """x on `device`: x itself when it already is; differentiable."""
    if isinstance(device, str) and device.split(":")[0] == x.device:
        return x
    return ToDevice.apply(x, str(device).split(":")[0])


class Cast(Function):
    """A float tensor as another float dtype; the gradient is cast back."""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(ctx.dtype)


def to_dtype(x, dtype):
    """x as `dtype`: x itself when it already is; differentiable between float dtypes."""
    if dtype is x._data.dtype:
        return x
    dtype = np.dtype(dtype)
    category(dtype)
    if dtype == x._data.dtype:
        return x
    if dtype.kind == "f" and x._data.dtype.kind == "f":
        return Cast.apply(x, dtype=dtype)
    return x._new(x._data.astype(dtype))


def _device_name(value):
    """'cpu' or 'cuda' for a device given as a string ('cuda:0') or a device object whose
    str() is one; None for anything else."""
    if isinstance(value, TensorBase) or value is None:
        return None
    name = str(value).split(":")[0]
    return name if name in ("cpu", "cuda") else None


def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False,
       memory_format=None):
    """Tensor.to(device), .to(dtype), .to(device, dtype) or .to(other_tensor); a copy when
    copy=True (non_blocking and memory_format are accepted and have no effect)."""
    for arg in args:
        if isinstance(arg, TensorBase):
            device, dtype = arg.device, arg.dtype
        elif _device_name(arg) is not None:
            device = arg
        else:
            dtype = arg
    out = self if device is None else to_device(self, _device_name(device) or device)
    out = out if dtype is None else to_dtype(out, dtype)
    return out.clone() if copy and out is self else out


def promoted(*values, floating=False, op="op", like=None):
    """The values as Tensors of one dtype (result_type; float32 at least when `floating`)
    on one device, or None when one has a type no operator accepts (-> NotImplemented).
    New Tensors are of the class of the first Tensor among the values, or of `like`."""
    if not all(is_operand(v) for v in values):
        return None
    dtype = result_type(*values)
    if floating and category(dtype) < 2:
        dtype = FLOAT32
    arrays = [v._data if isinstance(v, TensorBase) else v for v in values if not is_scalar(v)]
    devices = {"cpu" if _xp(a) is np else "cuda" for a in arrays}
    if len(devices) > 1:
        raise TypeError("%s: expected all tensors on the same device, got cpu and cuda" % op)
    like = next((v for v in values if isinstance(v, TensorBase)), like)
    xp = _xp(arrays[0] if arrays else like._data)
    result_class = like._result_class
    return [to_dtype(v, dtype) if isinstance(v, TensorBase)
            else new_tensor(result_class, xp.asarray(v, dtype=dtype)) for v in values]


# ==================================================================== the mixin

_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}
_TYPE_DTYPES = {name: np.dtype(dtype) for dtype, name in _TYPE_NAMES.items()}


class ConversionOps:
    """Tensor methods that change dtype or device, make new tensors like this one, or take
    the values out."""

    __slots__ = ()

    to = to

    def cpu(self):
        return to_device(self, "cpu")

    def cuda(self, device=None, non_blocking=False):
        return to_device(self, "cuda")

    def float(self):
        return to_dtype(self, np.float32)

    def double(self):
        return to_dtype(self, np.float64)

    def half(self):
        return to_dtype(self, np.float16)

    def long(self):
        return to_dtype(self, np.int64)

    def int(self):
        return to_dtype(self, np.int32)

    def short(self):
        return to_dtype(self, np.int16)

    def char(self):
        return to_dtype(self, np.int8)

    def byte(self):
        return to_dtype(self, np.uint8)

    def bool(self):
        return to_dtype(self, np.bool_)

    def type_as(self, other):
        """self in other's dtype."""
        return to_dtype(self, other.dtype)

    def type(self, dtype=None, non_blocking=False):
        """With no argument, the type's name as PyTorch spells it ('torch.FloatTensor');
        with a dtype (or such a name), self converted to it."""
        if dtype is None:
            name = _TYPE_NAMES.get(self._data.dtype.name, self._data.dtype.name)
            return "torch.%s%s" % ("cuda." if self.device == "cuda" else "", name)
        if isinstance(dtype, str) and dtype.rsplit(".", 1)[-1] in _TYPE_DTYPES:
            return to_dtype(self, _TYPE_DTYPES[dtype.rsplit(".", 1)[-1]])
        return to_dtype(self, dtype)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return False

    def is_signed(self) -> bool:
        return self._data.dtype.kind in "fi"

    @property
    def is_cuda(self) -> bool:
        """True for tensors on a GPU."""
        return not isinstance(self._data, np.ndarray)

    @property
    def is_cpu(self) -> bool:
        return isinstance(self._data, np.ndarray)

    def get_device(self) -> int:
        """-1 on the CPU, the GPU's index on a GPU."""
        return -1 if isinstance(self._data, np.ndarray) else int(self._data.device.id)

    def element_size(self) -> int:
        """Bytes per element."""
        return int(self._data.dtype.itemsize)

    @property
    def itemsize(self) -> int:
        return int(self._data.dtype.itemsize)

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    def nelement(self) -> int:
        return int(self._data.size)

    def ndimension(self) -> int:
        return self._data.ndim

    def stride(self, dim=None):
        """Steps between elements per dim, in elements (as torch.Tensor.stride)."""
        steps = tuple(s // self._data.dtype.itemsize for s in self._data.strides)
        return steps if dim is None else steps[dim]

    def data_ptr(self) -> int:
        """The address of the first element (for identity checks between tensors)."""
        data = self._data
        return int(data.ctypes.data if isinstance(data, np.ndarray) else data.data.ptr)

    def is_same_size(self, other) -> bool:
        return self.shape == other.shape

    def is_nonzero(self) -> bool:
        """The truth of a one-element tensor (an error for others)."""
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def pin_memory(self):
        """self: CPU memory needs no pinning here (DataLoader(pin_memory=True) is a no-op)."""
        return self

    def is_pinned(self) -> bool:
        return False

    def share_memory_(self):
        """self (worker processes share tensors through their own means)."""
        return self

    # ---------------------------------------------------------------- new tensors
    def _like(self, array, dtype, device, requires_grad):
        out = self._new(array)
        if dtype is not None:
            out = to_dtype(out, dtype)
        if device is not None:
            out = to_device(out, device)
        if requires_grad:
            out.requires_grad_(True)
        return out

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of `size`, with self's dtype and device unless given."""
        return self._like(_xp(self._data).zeros(_size(size), self._data.dtype), dtype, device,
                          requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """Ones of `size`, with self's dtype and device unless given."""
        return self._like(_xp(self._data).ones(_size(size), self._data.dtype), dtype, device,
                          requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """An uninitialised tensor of `size`, with self's dtype and device unless given."""
        return self._like(_xp(self._data).empty(_size(size), self._data.dtype), dtype, device,
                          requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """`fill_value` in every element of `size`, with self's dtype and device unless
        given."""
        return self._like(_xp(self._data).full(_size((size,)), fill_value, self._data.dtype),
                          dtype, device, requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """A copy of `data` as a tensor with self's dtype and device unless given."""
        if isinstance(data, TensorBase):
            data = data._data
        array = _xp(self._data).array(data, dtype=self._data.dtype if dtype is None else dtype)
        return self._like(array, None, device, requires_grad)

    # ---------------------------------------------------------------- values out
    def _host(self):
        data = self._data
        return data if isinstance(data, np.ndarray) else data.get()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a numpy array (shared, not copied, on the CPU); force=True also
        detaches and copies from a GPU."""
        if force:
            return self._host()
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on a tensor that requires grad; "
                               "use tensor.detach().numpy()")
        if self.device != "cpu":
            raise TypeError("can't convert a cuda tensor to numpy; use tensor.cpu() first")
        return self._data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError("only one-element tensors can be converted to a Python scalar, "
                             "got shape %s" % (self.shape,))
        return self._host().reshape(()).item()

    def tolist(self):
        """The values as (nested) Python lists of numbers."""
        return self._host().tolist()

    def __array__(self, dtype=None, copy=None):
        host = self._host()
        return host if dtype is None else host.astype(dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """A one-element integer tensor as an index (range(t), list[t], ...)."""
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("the truth value of a tensor with more than one element is "
                               "ambiguous")
        return bool(self.item())


def _size(size):
    """(2, 3), ((2, 3),) or ([2, 3],) as a tuple of ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(n) for n in size)
