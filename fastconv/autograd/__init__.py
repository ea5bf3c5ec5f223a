"""fastconv.autograd: Tensor, Function (forward and backward side by side), the tape."""
from .creation import (arange, empty, empty_like, eye, full, full_like, linspace, ones,
                       ones_like, rand, rand_like, randint, randn, randn_like, zeros,
                       zeros_like)
from .function import Context, Function
from .functional_forms import *  # noqa: F401,F403  (fastconv.exp(x) and the like)
from .functional_forms import __all__ as _functional_names
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck
from .indexing import where
from .linalg import addmm, baddbmm, bmm, dot, matmul, mm, mv, outer
from .promotion import result_type
from .shapes import cat, stack
from .tensor import Tensor, from_numpy, tensor
from .tensor_base import bump_version as increment_version

concat = concatenate = cat
inner = dot

__all__ = sorted(set(_functional_names) | {
    # core
    "Tensor", "Function", "Context", "tensor", "from_numpy", "no_grad", "enable_grad",
    "is_grad_enabled", "set_grad_enabled", "gradcheck", "GradcheckError", "increment_version",
    # creation
    "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like",
    "arange", "linspace", "eye", "rand", "randn", "randint", "rand_like", "randn_like",
    # functions whose first argument is not the one tensor operated on
    "cat", "concat", "concatenate", "stack", "where", "matmul", "mm", "bmm", "mv", "dot",
    "inner", "outer", "addmm", "baddbmm", "result_type",
})
