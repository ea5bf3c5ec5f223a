"""Differentiable Tensor arithmetic, reductions and shape ops: forward and backward together.

Every op is a Function subclass; the Tensor methods and operators at the bottom of this
file route to them. Gradients of broadcasting ops are summed back to each input's shape.
"""
import numpy as np

from .function import Function
from .tensor import Tensor


def _xp(array):
    return np if isinstance(array, np.ndarray) else __import__("cupy")


def unbroadcast(grad, shape):
    """Sum `grad` over the axes that broadcasting added or stretched to reach it from `shape`."""
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


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


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a + b

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        return unbroadcast(grad, sa), unbroadcast(grad, sb)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return unbroadcast(grad * b, a.shape), unbroadcast(grad * a, b.shape)


class Sum(Function):
    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        return _xp(x).asarray(x.sum(axis=dim, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad):
        if ctx.dim is not None and not ctx.keepdim:
            grad = _xp(grad).expand_dims(grad, ctx.dim)
        return _xp(grad).broadcast_to(grad, ctx.shape).copy()


Tensor.__add__ = lambda self, other: Add.apply(self, _operand(other, self))
Tensor.__mul__ = lambda self, other: Mul.apply(self, _operand(other, self))
Tensor.sum = lambda self, dim=None, keepdim=False: Sum.apply(self, dim=dim, keepdim=keepdim)


def _operand(value, like: Tensor):
    """A Tensor for the other side of a binary op; Python scalars take like's dtype."""
    if isinstance(value, Tensor):
        return value
    return Tensor(_xp(like.data).asarray(value, dtype=like.dtype))
