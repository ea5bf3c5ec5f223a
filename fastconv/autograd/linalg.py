"""Matrix products: matmul (and the @ operator) with numpy/PyTorch semantics."""
import numpy as np

from .. import ops
from .util import unbroadcast
from .conversion import promoted
from .function import Function
from .promotion import is_operand, is_scalar
from .tensor_base import TensorBase
from .._xp import array_module as _xp


class MatMul(Function):
    """a @ b. 2-D float: fastconv's own GEMM (fastconv.ops); 1-D and batched: xp.matmul,
    with 1-D operands treated as a row (left) or a column (right) in backward."""

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.shapes, ctx.gemm = (a.shape, b.shape), _gemm_ok(a, b)
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return ops.matmul(a, b) if ctx.gemm else _xp(a).matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors   # each saved only where the other's gradient needs it
        sa, sb = ctx.shapes
        if ctx.gemm:
            return (ops.gemm(grad, b, trans_b=True) if b is not None else None,
                    ops.gemm(a, grad, trans_a=True) if a is not None else None)
        xp = _xp(grad)
        g2 = grad[..., None] if len(sb) == 1 else grad
        g2 = g2[..., None, :] if len(sa) == 1 else g2
        da = db = None
        if b is not None:
            b2 = b[:, None] if b.ndim == 1 else b
            a2_shape = (1,) + sa if len(sa) == 1 else sa
            da = unbroadcast(xp.matmul(g2, xp.swapaxes(b2, -1, -2)), a2_shape).reshape(sa)
        if a is not None:
            a2 = a[None, :] if a.ndim == 1 else a
            b2_shape = sb + (1,) if len(sb) == 1 else sb
            db = unbroadcast(xp.matmul(xp.swapaxes(a2, -1, -2), g2), b2_shape).reshape(sb)
        return da, db


def _gemm_ok(a, b) -> bool:
    return a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype and a.dtype.kind == "f" \
        and a.dtype.itemsize in (4, 8)


def matmul(a, b):
    """Matrix product with numpy/PyTorch semantics (1-D, 2-D, batched with broadcasting)."""
    if not (isinstance(a, TensorBase) or isinstance(b, TensorBase)) or is_scalar(a) \
            or is_scalar(b):
        raise TypeError("matmul: expected Tensors, got %s and %s"
                        % (type(a).__name__, type(b).__name__))
    pair = promoted(a, b, op="matmul")
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


class LinalgOps:
    """Tensor matrix products."""

    __slots__ = ()

    matmul = matmul

    def __matmul__(self, other):
        if not is_operand(other) or is_scalar(other):
            return NotImplemented
        return matmul(self, other)

    def __rmatmul__(self, other):
        if not is_operand(other) or is_scalar(other):
            return NotImplemented
        return matmul(other, self)
