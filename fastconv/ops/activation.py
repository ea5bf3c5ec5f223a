"""ReLU and the pointwise activations (one native family with a kind code), forward and
backward, on raw arrays."""
import numpy as np

from . import _args
from ._dispatch import backend, nthreads


def relu_forward(x, *, out=None):
    """max(x, 0), NaN kept; `out` may be `x` itself for an in-place ReLU."""
    xp = _args.array_module(x, out)
    x = _args.float_array(x, "input")
    y = _args.check_out(out, x.shape, x.dtype, xp)
    return backend(xp).relu_forward(x, y, nthreads())


def add_relu_forward(input, other, *, out=None):
    """max(input + other, 0) in one pass, NaN kept (a residual sum and its ReLU); the two
    arrays have one shape and dtype; `out` may be either of them."""
    xp = _args.array_module(input, other, out)
    input = _args.float_array(input, "input")
    other = _args.float_array(other, "other")
    _args.same_dtype_and_shape("input", input, "other", other)
    y = _args.check_out(out, input.shape, input.dtype, xp)
    return backend(xp).add_relu_forward(input, other, y, nthreads())


def relu_backward(grad_output, output, *, out=None):
    """grad_output where the forward output is > 0, else 0."""
    xp = _args.array_module(grad_output, output, out)
    grad_output = _args.float_array(grad_output, "grad_output")
    output = _args.float_array(output, "output")
    _args.same_dtype_and_shape("grad_output", grad_output, "output", output)
    dx = _args.check_out(out, grad_output.shape, grad_output.dtype, xp)
    return backend(xp).relu_backward(grad_output, output, dx, nthreads())


# ------------------------------------------------------------------ pointwise activations

# name -> the kind code of csrc/include/fastconv/act.h (the kernels' `kind` argument)
ACTIVATIONS = {"leaky_relu": 0, "elu": 1, "gelu": 2, "gelu_tanh": 3, "silu": 4,
               "sigmoid": 5, "tanh": 6, "softplus": 7, "hardtanh": 8, "hardswish": 9,
               "hardsigmoid": 10, "mish": 11}

# kinds whose backward reads the forward output y (cheaper, or as cheap, as the input)
_FROM_OUTPUT = frozenset(("sigmoid", "tanh", "hardtanh"))


def activation_backward_reads(kind: str, alpha: float = 0.0) -> str:
    """'input' or 'output': which array activation_backward needs as `saved` for `kind`
    (elu reads its output when alpha >= 0, where the output's sign is the input's)."""
    _kind_code(kind)
    if kind in _FROM_OUTPUT or (kind == "elu" and alpha >= 0):
        return "output"
    return "input"


def _kind_code(kind: str) -> int:
    code = ACTIVATIONS.get(kind) if isinstance(kind, str) else None
    if code is None:
        raise ValueError("kind must be one of %s, got %r" % (sorted(ACTIVATIONS), kind))
    return code


def _scalar(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError("%s must be a real number, got %r" % (name, value))
    return float(value)


def activation_forward(x, kind: str, alpha: float = 0.0, beta: float = 0.0, *, out=None):
    """The activation `kind` (a key of ACTIVATIONS) of x, PyTorch's definitions; alpha and
    beta are its parameters: leaky_relu's negative_slope, elu's alpha, softplus's beta
    and threshold, hardtanh's min_val and max_val. `out` may be x itself (in place)."""
    code = _kind_code(kind)
    alpha, beta = _scalar(alpha, "alpha"), _scalar(beta, "beta")
    xp = _args.array_module(x, out)
    x = _args.float_array(x, "input")
    y = _args.check_out(out, x.shape, x.dtype, xp)
    return backend(xp).activation_forward(code, x, y, alpha, beta, nthreads())


def activation_backward(grad_output, saved, kind: str, alpha: float = 0.0, beta: float = 0.0,
                        *, out=None):
    """Gradient of activation_forward: grad_output times the derivative, computed from
    `saved`, the forward's input or output as activation_backward_reads(kind, alpha) says.
    `out` may be grad_output itself."""
    code = _kind_code(kind)
    alpha, beta = _scalar(alpha, "alpha"), _scalar(beta, "beta")
    xp = _args.array_module(grad_output, saved, out)
    grad_output = _args.float_array(grad_output, "grad_output")
    saved = _args.float_array(saved, "saved")
    _args.same_dtype_and_shape("grad_output", grad_output, "saved", saved)
    dx = _args.check_out(out, grad_output.shape, grad_output.dtype, xp)
    return backend(xp).activation_backward(code, saved, grad_output, dx, alpha, beta,
                                           nthreads())
