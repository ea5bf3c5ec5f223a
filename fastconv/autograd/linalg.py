"""Matrix products: matmul (and @) with numpy/PyTorch semantics (1-D operands, batches,
broadcast batch dims), mm, bmm, mv, dot, outer, and the fused addmm / baddbmm.

2-D float32/float64 products large enough for it to pay run on fastconv's own GEMM
(fastconv.ops.gemm); small ones (where its argument checks cost more than the
arithmetic), batches and other dtypes on xp.matmul.
"""
import numpy as np

from .. import ops
from .conversion import promoted
from .function import Function, apply_binary
from .promotion import is_operand, is_scalar
from .tensor_base import TensorBase
from .util import unbroadcast
from .._xp import array_module as _xp

GEMM_MIN_WORK = 64 * 64 * 64   # m * n * k below which xp.matmul's lower overhead wins


def _gemm_ok(a, b) -> bool:
    """True for 2-D float32/float64 numpy operands of one dtype worth fastconv's GEMM."""
    if a.ndim != 2 or b.ndim != 2:
        return False
    m, k = a.shape
    return (m * k * b.shape[1] >= GEMM_MIN_WORK and a.dtype is b.dtype
            and a.dtype.kind == "f" and a.dtype.itemsize in (4, 8)
            and type(a) is np.ndarray and type(b) is np.ndarray)


def _product(a, b):
    """a @ b: fastconv's GEMM where it pays; else dot for 1-D and 2-D operands (less
    overhead than matmul, the same product), matmul for batches (numpy's or cupy's)."""
    if _gemm_ok(a, b):
        return ops.matmul(a, b)
    return np.dot(a, b) if 0 < a.ndim <= 2 and 0 < b.ndim <= 2 else np.matmul(a, b)


def _matmul_grads(grad, a, b, sa, sb):
    """(da, db) of a @ b for the shapes sa, sb (a given when db is needed, b when da is):
    1-D operands act as a row (left) or a column (right); batch dims sum back."""
    xp = _xp(grad)
    g2 = grad[..., None] if len(sb) == 1 else grad
    g2 = g2[..., None, :] if len(sa) == 1 else g2
    da = db = None
    if b is not None:
        b2 = b[:, None] if b.ndim == 1 else b
        bt = xp.swapaxes(b2, -1, -2)
        prod = ops.gemm(g2, b2, trans_b=True) if _gemm_ok(g2, bt) else xp.matmul(g2, bt)
        da = unbroadcast(prod, (1,) + sa if len(sa) == 1 else sa).reshape(sa)
    if a is not None:
        a2 = a[None, :] if a.ndim == 1 else a
        at = xp.swapaxes(a2, -1, -2)
        prod = ops.gemm(a2, g2, trans_a=True) if _gemm_ok(at, g2) else xp.matmul(at, g2)
        db = unbroadcast(prod, sb + (1,) if len(sb) == 1 else sb).reshape(sb)
    return da, db


class MatMul(Function):
    """a @ b; backward multiplies grad by the other operand, transposed."""

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.shapes = (a.shape, b.shape)
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return _product(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors   # each saved only where the other's gradient needs it
        return _matmul_grads(grad, a, b, *ctx.shapes)


def _check_matmul(sa, sb, op):
    if not sa or not sb:
        raise ValueError("%s: both arguments need at least 1 dimension, got shapes %s and %s"
                         % (op, sa, sb))
    inner_b = sb[-2] if len(sb) > 1 else sb[0]
    if sa[-1] != inner_b:
        raise ValueError("%s: shapes %s and %s cannot be multiplied (%d != %d)"
                         % (op, sa, sb, sa[-1], inner_b))
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError("%s: batch dimensions of shapes %s and %s cannot be broadcast"
                         % (op, sa, sb)) from None


def _operands(a, b, op):
    if not (isinstance(a, TensorBase) or isinstance(b, TensorBase)) or is_scalar(a) \
            or is_scalar(b):
        raise TypeError("%s: expected Tensors, got %s and %s"
                        % (op, type(a).__name__, type(b).__name__))
    if isinstance(a, TensorBase) and isinstance(b, TensorBase) and \
            a._data.dtype is b._data.dtype and type(a._data) is type(b._data):
        return a, b
    pair = promoted(a, b, op=op)
    if pair is None:
        raise TypeError("%s: unsupported operand types %s and %s"
                        % (op, type(a).__name__, type(b).__name__))
    return pair


def _apply_matmul(a, b):
    """apply_binary(MatMul, a, b), naming the shapes when they cannot be multiplied."""
    try:
        return apply_binary(MatMul, a, b)
    except ValueError:
        _check_matmul(a._data.shape, b._data.shape, "matmul")
        raise


def matmul(a, b):
    """Matrix product with numpy/PyTorch semantics (1-D, 2-D, batched with broadcasting)."""
    a, b = _operands(a, b, "matmul")
    return _apply_matmul(a, b)


def _require_dims(op, **tensors):
    for name, (t, ndim) in tensors.items():
        if t.ndim != ndim:
            raise ValueError("%s: %s must be %d-D, got shape %s" % (op, name, ndim, t.shape))


def mm(a, b):
    """The product of two 2-D tensors."""
    a, b = _operands(a, b, "mm")
    _require_dims("mm", input=(a, 2), mat2=(b, 2))
    return matmul(a, b)


def bmm(a, b):
    """Batched products of 3-D tensors (b, n, m) @ (b, m, p), batch sizes equal."""
    a, b = _operands(a, b, "bmm")
    _require_dims("bmm", input=(a, 3), mat2=(b, 3))
    if a.shape[0] != b.shape[0]:
        raise ValueError("bmm: batch sizes differ: %s and %s" % (a.shape, b.shape))
    return matmul(a, b)


def mv(a, v):
    """Matrix (2-D) times vector (1-D)."""
    a, v = _operands(a, v, "mv")
    _require_dims("mv", input=(a, 2), vec=(v, 1))
    return matmul(a, v)


def dot(a, b):
    """The inner product of two 1-D tensors."""
    a, b = _operands(a, b, "dot")
    _require_dims("dot", input=(a, 1), other=(b, 1))
    return matmul(a, b)


def outer(a, b):
    """The outer product a[i] * b[j] of two 1-D tensors."""
    a, b = _operands(a, b, "outer")
    _require_dims("outer", input=(a, 1), vec2=(b, 1))
    return a.reshape(-1, 1) * b.reshape(1, -1)


class AddMatMul(Function):
    """beta * input + alpha * (a @ b) in one pass (addmm, baddbmm): the product is scaled
    and accumulated in place; input broadcasts to the product's shape. As in PyTorch,
    beta = 0 ignores input's values (NaN included) and gives it a zero gradient."""

    @staticmethod
    def forward(ctx, input, a, b, beta, alpha):
        need_a, need_b = ctx.needs_input_grad[1:3]
        ctx.shapes, ctx.scale = (input.shape, a.shape, b.shape), (beta, alpha)
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        if _gemm_ok(a, b) and beta != 0:
            out = np.empty((a.shape[0], b.shape[1]), dtype=a.dtype)
            out[...] = input
            return ops.gemm(a, b, alpha=alpha, beta=beta, out=out)
        out = _xp(a).matmul(a, b)
        if alpha != 1:
            out *= alpha
        if beta != 0:
            out += input if beta == 1 else beta * input
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        (si, sa, sb), (beta, alpha) = ctx.shapes, ctx.scale
        di = None
        if ctx.needs_input_grad[0]:
            di = unbroadcast(grad if beta == 1 else grad * beta, si)
            if beta == 0:
                di = _xp(grad).zeros(si, dtype=grad.dtype)
        scaled = grad if alpha == 1 else grad * alpha
        da, db = _matmul_grads(scaled, a, b, sa, sb)
        return di, da, db, None, None


def _add_matmul(input, a, b, beta, alpha, op, ndim):
    if not all(isinstance(t, TensorBase) for t in (input, a, b)):
        raise TypeError("%s: expected Tensors, got %s" % (
            op, ", ".join(type(t).__name__ for t in (input, a, b))))
    input, a, b = promoted(input, a, b, op=op)
    names = ("batch1", "batch2") if ndim == 3 else ("mat1", "mat2")
    _require_dims(op, **{names[0]: (a, ndim), names[1]: (b, ndim)})
    if ndim == 3 and a.shape[0] != b.shape[0]:
        raise ValueError("%s: batch sizes differ: %s and %s" % (op, a.shape, b.shape))
    _check_matmul(a.shape, b.shape, op)
    shape = a.shape[:-1] + b.shape[-1:]
    try:
        fits = tuple(np.broadcast_shapes(input.shape, shape)) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError("%s: input of shape %s does not broadcast to the product's shape %s"
                         % (op, input.shape, shape))
    return AddMatMul.apply(input, a, b, beta, alpha)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2) for 2-D mat1, mat2 (input broadcasts)."""
    return _add_matmul(input, mat1, mat2, beta, alpha, "addmm", 2)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2) (input broadcasts to (b, n, p))."""
    return _add_matmul(input, batch1, batch2, beta, alpha, "baddbmm", 3)


class LinalgOps:
    """Tensor matrix products."""

    __slots__ = ()

    matmul = matmul
    mm = mm
    bmm = bmm
    mv = mv
    dot = dot
    inner = dot
    outer = outer
    ger = outer
    addmm = addmm
    baddbmm = baddbmm

    def __matmul__(self, other):
        if type(other) is type(self) and other._data.dtype is self._data.dtype and \
                type(other._data) is type(self._data):
            return _apply_matmul(self, other)
        if not is_operand(other) or is_scalar(other):
            return NotImplemented
        return matmul(self, other)

    def __rmatmul__(self, other):
        if not is_operand(other) or is_scalar(other):
            return NotImplemented
        return matmul(other, self)
