"""Matrix products on raw arrays: gemm, matmul and the linear layer's forward/backward."""
from . import _args
from ._dispatch import backend, nthreads


def gemm(a, b, *, trans_a: bool = False, trans_b: bool = False, alpha: float = 1.0,
         beta: float = 0.0, out=None):
    """alpha * op(a) @ op(b) + beta * out, with op() an optional transpose (2-D arrays).

    beta != 0 needs `out`, which is read and overwritten.
    """
    xp = _args.array_module(a, b, out)
    a = _args.float_array(a, "a", 2)
    b = _args.float_array(b, "b", 2)
    _args.same_dtype("a", a, "b", b)
    m, k = (a.shape[1], a.shape[0]) if trans_a else a.shape
    kb, n = (b.shape[1], b.shape[0]) if trans_b else b.shape
    if k != kb:
        raise ValueError("inner dimensions differ: op(a) is %dx%d, op(b) is %dx%d"
                         % (m, k, kb, n))
    if beta != 0 and out is None:
        raise ValueError("beta != 0 needs an out= array to accumulate into")
    c = _args.check_out(out, (m, n), a.dtype, xp)
    a, b = _args.unaliased(a, out, xp), _args.unaliased(b, out, xp)
    return backend(xp).gemm(bool(trans_a), bool(trans_b), a, b, c, float(alpha), float(beta),
                            nthreads())


def matmul(a, b, *, out=None):
    """a @ b for 2-D arrays, on fastconv's own GEMM."""
    return gemm(a, b, out=out)


def linear_forward(x, weight, bias=None, *, out=None):
    """y = x @ weight.T + bias, with x (N, in), weight (out, in), bias (out,)."""
    x = _args.float_array(x, "input", 2)
    weight = _args.float_array(weight, "weight", 2)
    if x.shape[1] != weight.shape[1]:
        raise ValueError("input has %d features but weight expects %d (weight shape %s)"
                         % (x.shape[1], weight.shape[1], tuple(weight.shape)))
    if bias is not None:
        bias = _args.float_array(bias, "bias", 1)
        _args.same_dtype("input", x, "bias", bias)
        if bias.shape[0] != weight.shape[0]:
            raise ValueError("bias must have shape (%d,), got %s"
                             % (weight.shape[0], tuple(bias.shape)))
        xp = _args.array_module(x, weight, bias, out)
        c = _args.check_out(out, (x.shape[0], weight.shape[0]), x.dtype, xp)
        x, weight, bias = (_args.unaliased(a, out, xp) for a in (x, weight, bias))
        c[...] = bias
        return gemm(x, weight, trans_b=True, beta=1.0, out=c)
    return gemm(x, weight, trans_b=True, out=out)


def linear_backward_data(grad_output, weight, *, out=None):
    """dx = grad_output @ weight."""
    return gemm(grad_output, weight, out=out)


def linear_backward_weight(grad_output, x, *, out=None):
    """dweight = grad_output.T @ x."""
    return gemm(grad_output, x, trans_a=True, out=out)
