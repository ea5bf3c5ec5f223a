"""Array-generic GEMM: the oracle of the native sgemm/dgemm."""
from ._common import _store, _xp


def gemm(trans_a, trans_b, a, b, c, alpha=1.0, beta=0.0, nthreads=1):
    """c = alpha * op(a) @ op(b) + beta * c; beta == 0 never reads c (NaN-safe)."""
    xp = _xp(c)
    op_a = a.T if trans_a else a
    op_b = b.T if trans_b else b
    prod = xp.matmul(op_a, op_b)
    if alpha != 1.0:
        prod = prod * c.dtype.type(alpha)
    if beta != 0.0:
        prod = prod + c.dtype.type(beta) * c
    return _store(c, prod.astype(c.dtype, copy=False))
