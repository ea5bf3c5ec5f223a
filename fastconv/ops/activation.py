"""ReLU forward and backward on raw arrays."""
from . import _args
from ._dispatch import backend, nthreads


def relu_forward(x, *, out=None):
    """max(x, 0), NaN kept; `out` may be `x` itself for an in-place ReLU."""
    xp = _args.array_module(x, out)
    x = _args.float_array(x, "input")
    y = _args.check_out(out, x.shape, x.dtype, xp)
    return backend(xp).relu_forward(x, y, nthreads())


def relu_backward(grad_output, output, *, out=None):
    """grad_output where the forward output is > 0, else 0."""
    xp = _args.array_module(grad_output, output, out)
    grad_output = _args.float_array(grad_output, "grad_output")
    output = _args.float_array(output, "output")
    _args.same_dtype("grad_output", grad_output, "output", output)
    if grad_output.shape != output.shape:
        raise ValueError("grad_output %s and output %s must have the same shape"
                         % (tuple(grad_output.shape), tuple(output.shape)))
    dx = _args.check_out(out, grad_output.shape, grad_output.dtype, xp)
    return backend(xp).relu_backward(grad_output, output, dx, nthreads())
