"""fastconv.autograd: Tensor, Function (forward and backward side by side), the tape."""
from .creation import (arange, empty, empty_like, eye, full, full_like, linspace, ones,
                       ones_like, rand, rand_like, randint, randn, randn_like, zeros,
                       zeros_like)
from .elementwise import clamp
from .function import Context, Function
from .functional_forms import abs, exp, log, sigmoid, sqrt, tanh
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck
from .indexing import where
from .linalg import matmul
from .promotion import result_type
from .reductions import argmax, argmin, max, mean, min, sum
from .shapes import cat, flatten, permute, reshape, squeeze, stack, transpose, unsqueeze
from .tensor import Tensor, from_numpy, tensor
from .tensor_base import bump_version as increment_version

__all__ = [
    # core
    "Tensor", "Function", "Context", "tensor", "from_numpy", "no_grad", "enable_grad",
    "is_grad_enabled", "set_grad_enabled", "gradcheck", "GradcheckError", "increment_version",
    # creation
    "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like",
    "arange", "linspace", "eye", "rand", "randn", "randint", "rand_like", "randn_like",
    # functional forms of the Tensor math
    "cat", "stack", "where", "matmul", "exp", "log", "sqrt", "tanh", "sigmoid", "abs",
    "clamp", "sum", "mean", "max", "min", "argmax", "argmin", "reshape", "flatten",
    "squeeze", "unsqueeze", "transpose", "permute", "result_type",
]
