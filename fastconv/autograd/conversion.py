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


def to(self, *args, dtype=None, device=None):
    """Tensor.to(device), .to(dtype), .to(device, dtype) or .to(other_tensor)."""
    for arg in args:
        if isinstance(arg, TensorBase):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda"):
            device = arg
        else:
            dtype = arg
    out = self if device is None else to_device(self, device)
    return out if dtype is None else to_dtype(out, dtype)


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

class ConversionOps:
    """Tensor methods that change dtype or device, or take the values out."""

    __slots__ = ()

    def to(self, *args, dtype=None, device=None):
        """to(device), to(dtype), to(device, dtype) or to(other): a converted copy, self when
        nothing changes. Differentiable across devices and between float dtypes."""
        return to(self, *args, dtype=dtype, device=device)

    def cpu(self):
        return to_device(self, "cpu")

    def cuda(self):
        return to_device(self, "cuda")

    def float(self):
        return to_dtype(self, np.float32)

    def double(self):
        return to_dtype(self, np.float64)

    def long(self):
        return to_dtype(self, np.int64)

    def int(self):
        return to_dtype(self, np.int32)

    def bool(self):
        return to_dtype(self, np.bool_)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def _host(self):
        data = self._data
        return data if isinstance(data, np.ndarray) else data.get()

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (shared, not copied, on the CPU)."""
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

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("the truth value of a tensor with more than one element is "
                               "ambiguous")
        return bool(self.item())
