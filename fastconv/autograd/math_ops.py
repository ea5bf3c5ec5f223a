"""Differentiable Tensor arithmetic, reductions and shape ops: forward and backward together.

Every differentiable op is a Function subclass whose backward sits under its forward; the
Tensor operators and methods, the in-place helpers and the module-level functional forms
at the bottom route to them. Broadcasting follows numpy/PyTorch and each gradient is
summed back to its input's shape (unbroadcast). Result dtypes follow PyTorch's
torch.result_type (see result_type). Results that cannot carry a gradient (comparisons,
argmax, integer casts) are plain Tensors that never require grad.

Where this differs from PyTorch: in-place ops are never recorded, so they raise where
PyTorch would record them, and `t += x` rebinds t to a recorded result instead; view()
copies when numpy cannot reshape in place; there are no version counters, so changing
in place (under no_grad) an array that an op saved for backward changes its gradient.
"""
import builtins
import collections
import functools
import math
import numbers
import operator

import numpy as np

from .. import ops
from .. import random as _random
from .function import Function
from .grad_mode import is_grad_enabled
from .tensor import Tensor

# The functional forms at the bottom (sum, max, min, abs) shadow builtins in this module:
# code in here calls builtins.sum/max/min/abs explicitly.


from .._xp import array_module as _xp, is_cupy as _is_cupy  # noqa: E402


def unbroadcast(grad, shape):
    """Sum `grad` over the axes that broadcasting added or stretched to reach it from `shape`."""
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def _takes_tensor(function):
    """Give public functions a clear TypeError when their first argument is no Tensor."""
    @functools.wraps(function)
    def checked(x, *args, **kwargs):
        if not isinstance(x, Tensor):
            raise TypeError("%s: expected a Tensor, got %s" % (function.__name__,
                                                              type(x).__name__))
        return function(x, *args, **kwargs)
    return checked


# ==================================================================== dtype promotion

_FLOAT32 = np.dtype(np.float32)
_INT64 = np.dtype(np.int64)


def _category(dtype) -> int:
    """PyTorch's promotion categories: 0 bool, 1 integer, 2 floating point."""
    try:
        return {"b": 0, "i": 1, "u": 1, "f": 2}[dtype.kind]
    except KeyError:
        raise TypeError("unsupported dtype %s (fastconv supports bool, integer and float "
                        "dtypes)" % dtype) from None


def _promote(a, b):
    """Promote two dtypes of the same priority: the higher category wins, else numpy's rule."""
    if a is None or b is None:
        return b if a is None else a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _combine(higher, lower):
    """Let a lower-priority dtype count only when it is of a higher category (torch's rule)."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    if _category(higher) == 2:
        return higher
    if _category(higher) == 0 or _category(lower) == 2:
        return _promote(higher, lower)
    return higher


def _is_scalar(value) -> bool:
    return isinstance(value, (numbers.Real, np.generic))


def _scalar_dtype(value):
    """Python scalars count as bool, int64 or float32 (PyTorch's 'wrapped numbers')."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, numbers.Integral):
        return _INT64
    if isinstance(value, numbers.Real):
        return _FLOAT32
    raise TypeError("unsupported scalar %r" % (value,))


def result_type(*operands):
    """The dtype PyTorch gives an op on these operands (Tensors, arrays, Python scalars).

    Tensors with dimensions outrank 0-d tensors, which outrank Python scalars; a
    lower-ranked operand changes the result only when it is of a higher category
    (bool < int < float): float32 * 2.5 -> float32, int64 * 2.5 -> float32,
    float32 + float64 -> float64, int32 tensor + int64 0-d tensor -> int32.
    """
    ranked, zero_dim, wrapped = None, None, None
    for x in operands:
        if x is None:
            continue
        if isinstance(x, Tensor) or (hasattr(x, "dtype") and not _is_scalar(x)):
            if x.ndim:
                ranked = _promote(ranked, x.dtype)
            else:
                zero_dim = _promote(zero_dim, x.dtype)
        else:
            wrapped = _promote(wrapped, _scalar_dtype(x))
    return _combine(ranked, _combine(zero_dim, wrapped))


def _is_operand(value) -> bool:
    return (isinstance(value, Tensor) or _is_scalar(value) or isinstance(value, np.ndarray)
            or _is_cupy(value))


def _promoted(*values, floating=False, op="op"):
    """The values as Tensors of one dtype (result_type; float32 at least when `floating`)
    on one device, or None when one has a type no operator accepts (-> NotImplemented)."""
    if not all(_is_operand(v) for v in values):
        return None
    dtype = result_type(*values)
    if floating and _category(dtype) < 2:
        dtype = _FLOAT32
    arrays = [v.data if isinstance(v, Tensor) else v for v in values if not _is_scalar(v)]
    devices = {"cpu" if _xp(a) is np else "cuda" for a in arrays}
    if len(devices) > 1:
        raise TypeError("%s: expected all tensors on the same device, got cpu and cuda" % op)
    xp = _xp(arrays[0]) if arrays else np
    return [to_dtype(v, dtype) if isinstance(v, Tensor) else Tensor(xp.asarray(v, dtype=dtype))
            for v in values]


def _binary(function, a, b, op, floating=False):
    """Promote a and b, check that their shapes broadcast, apply `function`."""
    pair = _promoted(a, b, floating=floating, op=op)
    if pair is None:
        return NotImplemented
    try:
        np.broadcast_shapes(pair[0].shape, pair[1].shape)
    except ValueError:
        raise ValueError("%s: shapes %s and %s cannot be broadcast together"
                         % (op, pair[0].shape, pair[1].shape)) from None
    return function.apply(*pair)


# ==================================================================== device and dtype

class ToDevice(Function):
    @staticmethod
    def forward(ctx, x, device):
        ctx.source = "cpu" if isinstance(x, np.ndarray) else "cuda"
        return _move(x, device)

    @staticmethod
    def backward(ctx, grad):
        return _move(grad, ctx.source), None


def _move(array, device: str):
    if device == "cpu":
        return array if isinstance(array, np.ndarray) else array.get()
    if device == "cuda":
        from ..backends.cuda import require_cupy
        return require_cupy().asarray(array)
    raise ValueError("device must be 'cpu' or 'cuda', got %r" % (device,))


def to_device(x: Tensor, device: str) -> Tensor:
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


def to_dtype(x: Tensor, dtype) -> Tensor:
    """x as `dtype`: x itself when it already is; differentiable between float dtypes."""
    dtype = np.dtype(dtype)
    _category(dtype)
    if dtype == x.dtype:
        return x
    if dtype.kind == "f" and x.dtype.kind == "f":
        return Cast.apply(x, dtype=dtype)
    return Tensor(x.data.astype(dtype))


def to(self: Tensor, *args, dtype=None, device=None) -> Tensor:
    """Tensor.to(device), .to(dtype), .to(device, dtype) or .to(other_tensor)."""
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda"):
            device = arg
        else:
            dtype = arg
    out = self if device is None else to_device(self, device)
    return out if dtype is None else to_dtype(out, dtype)


# ==================================================================== elementwise binary

class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a + b

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        return unbroadcast(grad, sa), unbroadcast(grad, sb)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a - b

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        return unbroadcast(grad, sa), unbroadcast(-grad, sb)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        da = unbroadcast(grad * b, a.shape) if ctx.needs_input_grad[0] else None
        db = unbroadcast(grad * a, b.shape) if ctx.needs_input_grad[1] else None
        return da, db


class Div(Function):
    """True division (integer operands are promoted to float32 by the caller)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            da = unbroadcast(grad / b, a.shape) if ctx.needs_input_grad[0] else None
            db = unbroadcast(-grad * a / (b * b), b.shape) if ctx.needs_input_grad[1] else None
        return da, db


class Pow(Function):
    """a ** b; like PyTorch, a zero exponent gets no base gradient and 0 ** b (b >= 0) no
    exponent gradient, instead of the 0 * inf = nan the formulas would give."""

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        xp, da, db = _xp(grad), None, None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if ctx.needs_input_grad[0]:
                da = unbroadcast(xp.where(b == 0, 0, grad * b * a ** (b - 1)), a.shape)
            if ctx.needs_input_grad[1]:
                db = xp.where((a == 0) & (b >= 0), 0, grad * out * xp.log(a))
                db = unbroadcast(db, b.shape)
        return da, db


class MatMul(Function):
    """a @ b. 2-D float: fastconv's own GEMM (fastconv.ops); 1-D and batched: xp.matmul,
    with 1-D operands treated as a row (left) or a column (right) in backward."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        if _gemm_ok(a, b):
            return ops.matmul(a, b)
        return _xp(a).matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        if _gemm_ok(a, b):
            return (ops.gemm(grad, b, trans_b=True) if need_a else None,
                    ops.gemm(a, grad, trans_a=True) if need_b else None)
        xp = _xp(grad)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad[..., None] if b.ndim == 1 else grad
        g2 = g2[..., None, :] if a.ndim == 1 else g2
        da = db = None
        if need_a:
            da = unbroadcast(xp.matmul(g2, xp.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if need_b:
            db = unbroadcast(xp.matmul(xp.swapaxes(a2, -1, -2), g2), b2.shape).reshape(b.shape)
        return da, db


def _gemm_ok(a, b) -> bool:
    return a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype and a.dtype.kind == "f" \
        and a.dtype.itemsize in (4, 8)


def matmul(a, b) -> Tensor:
    """Matrix product with numpy/PyTorch semantics (1-D, 2-D, batched with broadcasting)."""
    if not (isinstance(a, Tensor) or isinstance(b, Tensor)) or _is_scalar(a) or _is_scalar(b):
        raise TypeError("matmul: expected Tensors, got %s and %s"
                        % (type(a).__name__, type(b).__name__))
    pair = _promoted(a, b, op="matmul")
    if pair is None:
        raise TypeError("matmul: unsupported operand types %s and %s"
                        % (type(a).__name__, type(b).__name__))
    sa, sb = pair[0].shape, pair[1].shape
    if not sa or not sb:
        raise ValueError("matmul: both arguments need at least 1 dimension, got shapes %s "
                         "and %s" % (sa, sb))
    inner_b = sb[-2] if len(sb) > 1 else sb[0]
    if sa[-1] != inner_b:
        raise ValueError("matmul: shapes %s and %s cannot be multiplied (%d != %d)"
                         % (sa, sb, sa[-1], inner_b))
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError("matmul: batch dimensions of shapes %s and %s cannot be broadcast"
                         % (sa, sb)) from None
    return MatMul.apply(*pair)


# ==================================================================== elementwise unary

class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            out = _xp(x).exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0]


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _xp(x).log(x)

    @staticmethod
    def backward(ctx, grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad / ctx.saved_tensors[0]


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            out = _xp(x).sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad / (2 * ctx.saved_tensors[0])


class Abs(Function):
    """|x|; the gradient at 0 is 0 (sign(0)), as in PyTorch."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _xp(x).abs(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * _xp(grad).sign(ctx.saved_tensors[0])


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = _xp(x).tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return grad * (1 - out * out)


class Sigmoid(Function):
    """1 / (1 + exp(-x)), computed from exp(-|x|) so that it never overflows."""

    @staticmethod
    def forward(ctx, x):
        xp = _xp(x)
        e = xp.exp(-xp.abs(x))
        out = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return grad * out * (1 - out)


class Clamp(Function):
    """x limited to [min, max]; the gradient passes where min <= x <= max (PyTorch's rule)."""

    @staticmethod
    def forward(ctx, x, min=None, max=None):
        xp = _xp(x)
        ctx.save_for_backward(x)
        ctx.bounds = (min, max)
        out = x if min is None else xp.maximum(x, xp.asarray(min, dtype=x.dtype))
        return out if max is None else xp.minimum(out, xp.asarray(max, dtype=x.dtype))

    @staticmethod
    def backward(ctx, grad):
        x, (low, high) = ctx.saved_tensors[0], ctx.bounds
        keep = _xp(x).ones(x.shape, dtype=bool)
        if low is not None:
            keep &= x >= low
        if high is not None:
            keep &= x <= high
        return grad * keep


def _unary(function, x, floating=True):
    """Apply a unary op to a Tensor; integer inputs become float32 first when `floating`."""
    if not isinstance(x, Tensor):
        raise TypeError("%s: expected a Tensor, got %s" % (function.__name__.lower(),
                                                           type(x).__name__))
    if floating and _category(x.dtype) < 2:
        x = to_dtype(x, _FLOAT32)
    return function.apply(x)


@_takes_tensor
def clamp(x: Tensor, min=None, max=None) -> Tensor:
    """Limit x to [min, max] (Python numbers; either may be None, not both)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and not _is_scalar(bound):
            raise TypeError("clamp: %s must be a number, got %s" % (name, type(bound).__name__))
    x = to_dtype(x, result_type(x, min, max))
    return Clamp.apply(x, min=min, max=max)


# ==================================================================== reductions

def _dim(dim, ndim: int) -> int:
    """A dim in [-ndim, ndim) as a non-negative index; IndexError like PyTorch otherwise."""
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError("dim must be an int, got %s" % type(dim).__name__)
    low, high = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not low <= dim <= high:
        raise IndexError("Dimension out of range (expected to be in range of [%d, %d], but "
                         "got %d)" % (low, high, dim))
    return int(dim) % builtins.max(ndim, 1)


def _dims(dim, ndim: int):
    """None (all dims) or a sorted tuple of distinct non-negative dims."""
    if dim is None:
        return None
    dims = tuple(_dim(d, ndim) for d in (dim if isinstance(dim, (tuple, list)) else (dim,)))
    if len(set(dims)) != len(dims):
        raise ValueError("dim %r appears more than once in the reduction" % (dim,))
    return tuple(sorted(dims)) if dims and ndim else None


class Sum(Function):
    """Sum over `dim` (None: all); integers and bools sum to int64 like PyTorch."""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        dtype = None if x.dtype.kind == "f" else _INT64
        return _xp(x).asarray(x.sum(axis=dim, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, grad):
        if ctx.dim is not None and not ctx.keepdim:
            grad = _xp(grad).expand_dims(grad, ctx.dim)
        return _xp(grad).broadcast_to(grad, ctx.shape).copy()


@_takes_tensor
def sum(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Sum over dim (int or tuple; None: every element)."""
    return Sum.apply(x, dim=_dims(dim, x.ndim), keepdim=keepdim)


@_takes_tensor
def mean(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Mean over dim (int or tuple; None: every element); float tensors only, like PyTorch."""
    if x.dtype.kind != "f":
        raise TypeError("mean(): input dtype must be floating point, got %s" % x.dtype)
    dims = _dims(dim, x.ndim)
    count = math.prod(x.shape[d] for d in dims) if dims is not None else x.numel()
    with np.errstate(divide="ignore", invalid="ignore"):
        return Sum.apply(x, dim=dims, keepdim=keepdim) / (count if count else float("nan"))


MaxReturn = collections.namedtuple("max", ["values", "indices"])
MinReturn = collections.namedtuple("min", ["values", "indices"])


class MaxMin(Function):
    """max or min. Over all elements, tied extremes share the gradient evenly; along a dim,
    the gradient goes to the index returned (the first extreme). Both as in PyTorch; NaN
    counts as the extreme."""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, largest=True):
        xp = _xp(x)
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        if x.size == 0:
            raise ValueError("%s(): cannot reduce an empty tensor of shape %s"
                             % ("max" if largest else "min", x.shape))
        if dim is None:
            out = xp.asarray(x.max() if largest else x.min())
            ctx.save_for_backward(x, out)
            return out
        ctx.indices = (xp.argmax if largest else xp.argmin)(x, axis=dim, keepdims=True)
        out = xp.take_along_axis(x, ctx.indices, axis=dim)
        return out if keepdim else out.squeeze(dim)

    @staticmethod
    def backward(ctx, grad):
        xp = _xp(grad)
        if ctx.dim is None:
            x, out = ctx.saved_tensors
            hit = xp.isnan(x) if bool(xp.isnan(out)) else (x == out)
            return (hit * (grad / hit.sum())).astype(grad.dtype, copy=False)
        g = grad if ctx.keepdim else xp.expand_dims(grad, ctx.dim)
        positions = xp.arange(ctx.shape[ctx.dim]).reshape(
            (-1,) + (1,) * (len(ctx.shape) - ctx.dim - 1))
        return xp.where(positions == ctx.indices, g, 0).astype(grad.dtype, copy=False)


def _extreme(x: Tensor, dim, keepdim: bool, largest: bool):
    if dim is None:
        return MaxMin.apply(x, largest=largest)
    d = _dim(dim, x.ndim)
    values, ctx = MaxMin.apply_with_context(x, dim=d, keepdim=keepdim, largest=largest)
    indices = ctx.indices if keepdim else ctx.indices.squeeze(d)
    return (MaxReturn if largest else MinReturn)(values, Tensor(indices.astype(np.int64)))


@_takes_tensor
def max(x: Tensor, dim=None, keepdim: bool = False):
    """Largest element (a 0-d Tensor), or with dim a namedtuple (values, indices)."""
    return _extreme(x, dim, keepdim, True)


@_takes_tensor
def min(x: Tensor, dim=None, keepdim: bool = False):
    """Smallest element (a 0-d Tensor), or with dim a namedtuple (values, indices)."""
    return _extreme(x, dim, keepdim, False)


def _arg_extreme(x: Tensor, dim, keepdim: bool, largest: bool) -> Tensor:
    xp = _xp(x.data)
    axis = None if dim is None else _dim(dim, x.ndim)
    found = (xp.argmax if largest else xp.argmin)(x.data, axis=axis, keepdims=keepdim)
    return Tensor(xp.asarray(found).astype(np.int64))


@_takes_tensor
def argmax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the first largest element (flat when dim is None); int64, no gradient."""
    return _arg_extreme(x, dim, keepdim, True)


@_takes_tensor
def argmin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the first smallest element (flat when dim is None); int64, no gradient."""
    return _arg_extreme(x, dim, keepdim, False)


# ==================================================================== shape ops

class Reshape(Function):
    """reshape/view/flatten/squeeze/unsqueeze: same elements, new shape."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


def _shape_args(shape, op):
    """(2, 3) or ((2, 3),) or ([2, 3],) as a tuple of ints."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape):
        raise TypeError("%s: sizes must be ints, got %r" % (op, shape))
    return tuple(int(n) for n in shape)


@_takes_tensor
def reshape(x: Tensor, *shape) -> Tensor:
    """x with a new shape (one size may be -1). Like PyTorch's reshape it shares memory
    when it can and copies otherwise; view() is the same op here."""
    shape = _shape_args(shape, "reshape")
    known = math.prod(n for n in shape if n != -1)
    if shape.count(-1) > 1 or any(n < -1 for n in shape):
        bad = True
    elif -1 in shape:
        bad = known == 0 or x.numel() % known != 0
    else:
        bad = known != x.numel()
    if bad:
        raise ValueError("reshape: shape %s is invalid for a tensor of shape %s (%d elements)"
                         % (shape, x.shape, x.numel()))
    return Reshape.apply(x, shape=shape)


@_takes_tensor
def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim (inclusive) into one; a 0-d tensor becomes shape (1,)."""
    if x.ndim == 0:
        return Reshape.apply(x, shape=(1,))
    start, end = _dim(start_dim, x.ndim), _dim(end_dim, x.ndim)
    if start > end:
        raise ValueError("flatten: start_dim %d comes after end_dim %d" % (start_dim, end_dim))
    s = x.shape
    return Reshape.apply(x, shape=s[:start] + (math.prod(s[start:end + 1]),) + s[end + 1:])


@_takes_tensor
def squeeze(x: Tensor, dim=None) -> Tensor:
    """Drop size-1 dims (all, or those among `dim` int/tuple; others are left, as in torch)."""
    dims = range(x.ndim) if dim is None else (_dims(dim, x.ndim) or ())
    shape = tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1))
    return Reshape.apply(x, shape=shape)


@_takes_tensor
def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at `dim` (in [-ndim-1, ndim])."""
    d = _dim(dim, x.ndim + 1)
    return Reshape.apply(x, shape=x.shape[:d] + (1,) + x.shape[d:])


class Permute(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(tuple(int(i) for i in np.argsort(ctx.dims)))


@_takes_tensor
def permute(x: Tensor, *dims) -> Tensor:
    """Reorder the dims: output dim i is input dim dims[i]."""
    dims = tuple(_dim(d, x.ndim) for d in _shape_args(dims, "permute"))
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError("permute: dims %r are not a permutation of the %d dims of shape %s"
                         % (dims, x.ndim, x.shape))
    return Permute.apply(x, dims=dims)


@_takes_tensor
def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims."""
    dims = list(range(x.ndim))
    d0, d1 = _dim(dim0, x.ndim), _dim(dim1, x.ndim)
    if x.ndim:
        dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(x, dims=tuple(dims))


def _T(x: Tensor) -> Tensor:
    """x.T: the transpose of a 2-D tensor (0-D and 1-D come back unchanged)."""
    if x.ndim > 2:
        raise ValueError(".T needs a tensor of at most 2 dims, got shape %s; use permute()"
                         % (x.shape,))
    return Permute.apply(x, dims=tuple(reversed(range(x.ndim))))


class Expand(Function):
    """x broadcast to a larger shape (a read-only view); the gradient sums back."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return _xp(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return unbroadcast(grad, ctx.shape)


@_takes_tensor
def expand(x: Tensor, *sizes) -> Tensor:
    """x broadcast to `sizes`; -1 keeps an existing dim's size."""
    sizes = _shape_args(sizes, "expand")
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
    if lead < 0 or any(n < 0 for n in shape) or any(
            m != 1 and m != n for m, n in zip(x.shape, shape[lead:])):
        raise ValueError("expand: a tensor of shape %s cannot be expanded to %s"
                         % (x.shape, sizes))
    return Expand.apply(x, shape=shape)


class Index(Function):
    """x[index]. backward scatters into zeros: basic indices by assignment, advanced ones
    (integer arrays, masks) with add.at so that repeated indices accumulate."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return _xp(x).asarray(x[index])

    @staticmethod
    def backward(ctx, grad):
        xp = _xp(grad)
        out = xp.zeros(ctx.shape, dtype=grad.dtype)
        if _is_basic(ctx.index):
            out[ctx.index] = grad
        elif xp is np:
            np.add.at(out, ctx.index, grad)
        else:
            import cupyx
            cupyx.scatter_add(out, ctx.index, grad)
        return out


def _is_basic(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (slice, type(None), type(Ellipsis)))
               or (isinstance(i, numbers.Integral) and not isinstance(i, (bool, np.bool_)))
               for i in items)


def _index(index, xp):
    """An index in numpy's form: Tensors and lists become arrays."""
    if isinstance(index, tuple):
        return tuple(_index(i, xp) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return xp.asarray(index)
    return index


def getitem(x: Tensor, index) -> Tensor:
    """x[index]: ints, slices, None, Ellipsis, bool masks, integer arrays/Tensors/lists."""
    return Index.apply(x, index=_index(index, _xp(x.data)))


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class Cat(Function):
    @staticmethod
    def forward(ctx, *arrays, dim=0):
        ctx.dim, ctx.sizes = dim, [a.shape[dim] for a in arrays]
        return _xp(arrays[0]).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return tuple(_xp(grad).split(grad, np.cumsum(ctx.sizes)[:-1].tolist(), axis=ctx.dim))


class Stack(Function):
    @staticmethod
    def forward(ctx, *arrays, dim=0):
        ctx.dim = dim
        return _xp(arrays[0]).stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return tuple(_xp(grad).moveaxis(grad, ctx.dim, 0))


def _sequence(tensors, op):
    tensors = list(tensors) if isinstance(tensors, (list, tuple)) else None
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError("%s: expected a non-empty list or tuple of Tensors" % op)
    return _promoted(*tensors, op=op)


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; all other sizes must match."""
    tensors = _sequence(tensors, "cat")
    first = tensors[0]
    d = _dim(dim, first.ndim)
    for i, t in enumerate(tensors):
        if t.ndim != first.ndim or any(
                a != b for j, (a, b) in enumerate(zip(t.shape, first.shape)) if j != d):
            raise ValueError("cat: tensor %d has shape %s but tensor 0 has shape %s; sizes "
                             "must match except in dim %d" % (i, t.shape, first.shape, d))
    return Cat.apply(*tensors, dim=d)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = _sequence(tensors, "stack")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError("stack: tensor %d has shape %s but tensor 0 has shape %s; all "
                             "must have the same shape" % (i, t.shape, tensors[0].shape))
    return Stack.apply(*tensors, dim=_dim(dim, tensors[0].ndim + 1))


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        ctx.shapes = (a.shape, b.shape)
        return _xp(a).where(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        cond, (sa, sb), xp = ctx.saved_tensors[0], ctx.shapes, _xp(grad)
        da = unbroadcast(xp.where(cond, grad, 0), sa) if ctx.needs_input_grad[1] else None
        db = unbroadcast(xp.where(cond, 0, grad), sb) if ctx.needs_input_grad[2] else None
        return None, da, db


def where(condition, a, b) -> Tensor:
    """Elementwise a where condition (a bool Tensor) holds, else b; all three broadcast."""
    if not isinstance(condition, Tensor) or condition.dtype != np.bool_:
        raise TypeError("where: condition must be a bool Tensor, got %s"
                        % getattr(condition, "dtype", type(condition).__name__))
    pair = _promoted(a, b, op="where")
    if pair is None:
        raise TypeError("where: unsupported operand types %s and %s"
                        % (type(a).__name__, type(b).__name__))
    try:
        np.broadcast_shapes(condition.shape, pair[0].shape, pair[1].shape)
    except ValueError:
        raise ValueError("where: shapes %s, %s and %s cannot be broadcast together"
                         % (condition.shape, pair[0].shape, pair[1].shape)) from None
    return Where.apply(condition, *pair)


# ==================================================================== comparisons

def _comparison(compare):
    def method(self, other):
        pair = _promoted(self, other, op=compare.__name__)
        if pair is None:
            return NotImplemented
        return Tensor(_xp(pair[0].data).asarray(compare(pair[0].data, pair[1].data)))
    method.__name__ = "__%s__" % compare.__name__
    method.__doc__ = "Elementwise %s as a bool Tensor (no gradient)." % compare.__name__
    return method


# ==================================================================== in place

def _check_inplace(t: Tensor, op: str, *operands) -> None:
    """In-place ops are never recorded, so refuse them where a gradient would be lost."""
    if is_grad_enabled() and any(isinstance(x, Tensor) and x.requires_grad
                                 for x in (t,) + operands):
        raise RuntimeError("%s: in-place operation involving a tensor that requires grad "
                           "while grad mode is on (in-place ops are not recorded for "
                           "backward); wrap it in `with fastconv.no_grad():`" % op)


def _raw(value, t: Tensor):
    """The array (moved to t's device) or scalar behind an in-place operand."""
    return _move(value.data, t.device) if isinstance(value, Tensor) else value


def _update(t: Tensor, other, op: str, compute=None, cast=False, scalars=()) -> Tensor:
    """t[...] = compute(t's array, other) (or other itself), after checking that other
    broadcasts to t's shape and, unless `cast`, that other and `scalars` do not need a
    higher dtype category than t's (an int tensor cannot take floats)."""
    _check_inplace(t, op, other)
    other = _raw(other, t)
    if not cast and _category(result_type(t, other, *scalars)) > _category(t.dtype):
        raise TypeError("%s: result of dtype %s cannot be stored in a %s tensor"
                        % (op, result_type(t, other, *scalars), t.dtype))
    shape = tuple(getattr(other, "shape", ()))
    try:
        fits = tuple(np.broadcast_shapes(t.shape, shape)) == t.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError("%s: shape %s does not broadcast to the tensor's shape %s"
                         % (op, shape, t.shape))
    with np.errstate(divide="ignore", invalid="ignore"):
        t.data[...] = other if compute is None else compute(t.data, other)
    return t


def zero_(self):
    _check_inplace(self, "zero_")
    self.data[...] = 0
    return self


def fill_(self, value):
    """Set every element to a number (or 0-d tensor), cast to self's dtype."""
    if getattr(value, "ndim", 0):
        raise ValueError("fill_: value must be a number or a 0-d tensor, got shape %s"
                         % (tuple(value.shape),))
    return _update(self, value, "fill_", cast=True)


def copy_(self, src):
    """Copy src's values into self (broadcast to self's shape, cast to self's dtype)."""
    return _update(self, src, "copy_", cast=True)


def add_(self, other, alpha=1):
    return _update(self, other, "add_", lambda a, b: a + (b if alpha == 1 else alpha * b),
                   scalars=(alpha,))


def sub_(self, other, alpha=1):
    return _update(self, other, "sub_", lambda a, b: a - (b if alpha == 1 else alpha * b),
                   scalars=(alpha,))


def mul_(self, other):
    return _update(self, other, "mul_", lambda a, b: a * b)


def div_(self, other):
    if self.dtype.kind != "f":
        raise TypeError("div_: true division cannot be stored in a %s tensor" % self.dtype)
    return _update(self, other, "div_", lambda a, b: a / b)


def clamp_(self, min=None, max=None):
    _check_inplace(self, "clamp_")
    return _update(self, clamp(Tensor(self.data), min, max), "clamp_")


def _random_fill(t: Tensor, op: str, draw):
    _check_inplace(t, op)
    if t.dtype.kind != "f":
        raise TypeError("%s needs a floating point tensor, got %s" % (op, t.dtype))
    dtype = t.dtype if t.dtype.itemsize in (4, 8) else np.float32
    t.data[...] = _xp(t.data).asarray(draw(_random.generator(), t.shape, dtype))
    return t


def uniform_(self, a=0.0, b=1.0):
    """Fill with uniform draws from [a, b), from fastconv.random's generator."""
    return _random_fill(self, "uniform_", lambda g, s, d: a + (b - a) * g.random(s, dtype=d))


def normal_(self, mean=0.0, std=1.0):
    """Fill with normal draws N(mean, std**2), from fastconv.random's generator."""
    return _random_fill(self, "normal_",
                        lambda g, s, d: mean + std * g.standard_normal(s, dtype=d))


def _augmented(inplace, function, op):
    """t op= other: in place, as in PyTorch. Where PyTorch would record the in-place op
    (grad mode on, and t a non-leaf requiring grad or other requiring grad), t is rebound
    to a recorded out-of-place result instead: same value and gradients, but other
    references to the old t do not see the change. A leaf requiring grad raises."""
    def method(self, other):
        if not _is_operand(other):
            return NotImplemented
        recorded = is_grad_enabled() and (
            (self.requires_grad and self._node is not None)
            or (isinstance(other, Tensor) and other.requires_grad))
        if recorded and not (self.requires_grad and self._node is None):
            return _binary(function, self, other, op, floating=function is Div)
        return inplace(self, other)
    return method


def setitem(self, index, value) -> None:
    """t[index] = value, in place (not recorded for backward)."""
    _check_inplace(self, "__setitem__", value)
    self.data[_index(index, _xp(self.data))] = _raw(value, self)


# ==================================================================== Tensor methods

def _named(function, op, floating=False):
    """x.add(y) and friends: the operator, with a TypeError instead of NotImplemented."""
    def method(self, other):
        out = _binary(function, self, other, op, floating=floating)
        if out is NotImplemented:
            raise TypeError("%s: unsupported operand type %s" % (op, type(other).__name__))
        return out
    method.__name__ = op
    return method


def _attach():
    T = Tensor
    T.__add__ = lambda s, o: _binary(Add, s, o, "add")
    T.__radd__ = lambda s, o: _binary(Add, o, s, "add")
    T.__sub__ = lambda s, o: _binary(Sub, s, o, "sub")
    T.__rsub__ = lambda s, o: _binary(Sub, o, s, "sub")
    T.__mul__ = lambda s, o: _binary(Mul, s, o, "mul")
    T.__rmul__ = lambda s, o: _binary(Mul, o, s, "mul")
    T.__truediv__ = lambda s, o: _binary(Div, s, o, "div", floating=True)
    T.__rtruediv__ = lambda s, o: _binary(Div, o, s, "div", floating=True)
    T.__pow__ = lambda s, o: _binary(Pow, s, o, "pow")
    T.__rpow__ = lambda s, o: _binary(Pow, o, s, "pow")
    T.__matmul__ = lambda s, o: matmul(s, o) if _is_operand(o) and not _is_scalar(o) \
        else NotImplemented
    T.__rmatmul__ = lambda s, o: matmul(o, s) if _is_operand(o) and not _is_scalar(o) \
        else NotImplemented
    T.__neg__ = lambda s: Neg.apply(s)
    T.__iadd__ = _augmented(add_, Add, "add")
    T.__isub__ = _augmented(sub_, Sub, "sub")
    T.__imul__ = _augmented(mul_, Mul, "mul")
    T.__itruediv__ = _augmented(div_, Div, "div")
    for name, compare in (("lt", operator.lt), ("le", operator.le), ("gt", operator.gt),
                          ("ge", operator.ge), ("eq", operator.eq), ("ne", operator.ne)):
        setattr(T, "__%s__" % name, _comparison(compare))
    T.__hash__ = lambda s: id(s)        # identity hash: defining __eq__ must not drop it
    T.__getitem__ = getitem
    T.__setitem__ = setitem
    T.__iter__ = lambda s: (s[i] for i in range(len(s)))
    T.add, T.sub, T.mul = _named(Add, "add"), _named(Sub, "sub"), _named(Mul, "mul")
    T.div, T.pow = _named(Div, "div", floating=True), _named(Pow, "pow")
    T.matmul = matmul
    T.sum, T.mean, T.max, T.min = sum, mean, max, min
    T.argmax, T.argmin = argmax, argmin
    T.exp = lambda s: _unary(Exp, s)
    T.log = lambda s: _unary(Log, s)
    T.sqrt = lambda s: _unary(Sqrt, s)
    T.tanh = lambda s: _unary(Tanh, s)
    T.sigmoid = lambda s: _unary(Sigmoid, s)
    T.abs = lambda s: _unary(Abs, s, floating=False)
    T.clamp = clamp
    T.reshape = T.view = reshape
    T.view_as = lambda s, other: reshape(s, other.shape)
    T.flatten, T.squeeze, T.unsqueeze = flatten, squeeze, unsqueeze
    T.transpose, T.permute = transpose, permute
    T.T = property(_T)
    T.expand = expand
    T.expand_as = lambda s, other: expand(s, other.shape)
    T.broadcast_to = lambda s, shape: expand(s, shape)
    T.clone = lambda s: Clone.apply(s)
    T.contiguous = lambda s: s
    T.is_contiguous = lambda s: bool(s.data.flags.c_contiguous)
    T.is_floating_point = lambda s: s.dtype.kind == "f"
    T.float = lambda s: to_dtype(s, np.float32)
    T.double = lambda s: to_dtype(s, np.float64)
    T.long = lambda s: to_dtype(s, np.int64)
    T.int = lambda s: to_dtype(s, np.int32)
    T.bool = lambda s: to_dtype(s, np.bool_)
    T.zero_, T.fill_, T.add_, T.sub_, T.mul_, T.div_ = zero_, fill_, add_, sub_, mul_, div_
    T.clamp_, T.copy_, T.uniform_, T.normal_ = clamp_, copy_, uniform_, normal_


_attach()


# ==================================================================== functional forms
# (defined last: sum/max/min/abs above already shadow the builtins in this module)

def _functional(name, doc):
    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError("%s: expected a Tensor, got %s" % (name, type(input).__name__))
        return getattr(input, name)(*args, **kwargs)
    function.__name__, function.__doc__ = name, doc
    return function


exp = _functional("exp", "Elementwise e ** x.")
log = _functional("log", "Elementwise natural logarithm.")
sqrt = _functional("sqrt", "Elementwise square root.")
tanh = _functional("tanh", "Elementwise hyperbolic tangent.")
sigmoid = _functional("sigmoid", "Elementwise 1 / (1 + exp(-x)).")
abs = _functional("abs", "Elementwise absolute value.")
