"""fastconv: train convolutional networks on multicore CPUs at native speed.

Native OpenMP kernels (fastconv.ops) under an autograd tape (fastconv.autograd) and a
PyTorch-shaped API (fastconv.functional, fastconv.nn, fastconv.optim).
"""
__version__ = "0.1.0"

from ._threads import get_num_threads, set_num_threads
from . import ops
from .autograd import (Tensor, addmm, arange, baddbmm, bmm, cat, concat, concatenate, dot,
                       empty, empty_like, enable_grad, eye, from_numpy, full, full_like, inner,
                       is_grad_enabled, linspace, matmul, mm, mv, no_grad, ones, ones_like,
                       outer, rand, rand_like, randint, randn, randn_like, result_type,
                       set_grad_enabled, stack, tensor, where, zeros, zeros_like)
from .autograd.functional_forms import *  # noqa: F401,F403  (exp, gather, topk, ...)
from .autograd.functional_forms import __all__ as _tensor_functions
from .autograd.dtypes import (bool, double, float, float16, float32, float64, half, int, int8, int16,
                     int32, int64, long, short, uint8)
from .random import manual_seed
from .serialization import load, save
from . import autograd, functional, nn, optim, models, data  # noqa: E402
from . import utils  # noqa: E402  (fastconv.utils.data, as torch.utils.data)

__all__ = [
    "__version__", "get_num_threads", "set_num_threads", "manual_seed", "save", "load",
    "ops", "autograd", "functional", "nn", "optim", "models", "data",
    "Tensor", "tensor", "from_numpy", "no_grad", "enable_grad", "is_grad_enabled",
    "set_grad_enabled",
    "float32", "float64", "float16", "half", "float", "double", "int64", "long", "int32",
    "int", "int16", "short", "int8", "uint8", "bool",
    "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like",
    "arange", "linspace", "eye", "rand", "randn", "randint", "rand_like", "randn_like",
    "cat", "concat", "concatenate", "stack", "where", "matmul", "mm", "bmm", "mv", "dot",
    "inner", "outer", "addmm", "baddbmm", "result_type",
] + _tensor_functions

# the torch namespaces scripts touch before any model code
from ._device import device  # noqa: E402
from ._generator import Generator  # noqa: E402
from . import accelerator, backends, cuda  # noqa: E402
from .backends import cudnn as _cudnn  # noqa: E402,F401  (fastconv.backends.cudnn)

__all__ += ["device", "Generator", "accelerator", "backends", "cuda", "utils"]
