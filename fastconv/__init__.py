"""fastconv: train convolutional networks on multicore CPUs at native speed.

Native OpenMP kernels (fastconv.ops) under an autograd tape (fastconv.autograd) and a
PyTorch-shaped API (fastconv.functional, fastconv.nn, fastconv.optim).
"""
__version__ = "0.1.0"

from ._threads import get_num_threads, set_num_threads
from . import ops
from .autograd import (Tensor, abs, arange, argmax, argmin, cat, clamp, empty, empty_like,
                       enable_grad, exp, eye, flatten, from_numpy, full, full_like,
                       is_grad_enabled, linspace, log, matmul, max, mean, min, no_grad, ones,
                       ones_like, permute, rand, rand_like, randint, randn, randn_like,
                       reshape, set_grad_enabled, sigmoid, sqrt, squeeze, stack, sum, tanh,
                       tensor, transpose, unsqueeze, where, zeros, zeros_like)
from .autograd.tensor import float32, float64, int64
from .random import manual_seed
from .serialization import load, save
from . import autograd, functional, nn, optim, models, data  # noqa: E402
from . import utils  # noqa: E402  (fastconv.utils.data, as torch.utils.data)

__all__ = [
    "__version__", "get_num_threads", "set_num_threads", "manual_seed", "save", "load",
    "ops", "autograd", "functional", "nn", "optim", "models", "data",
    "Tensor", "tensor", "from_numpy", "no_grad", "enable_grad", "is_grad_enabled",
    "set_grad_enabled", "float32", "float64", "int64",
    "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like",
    "arange", "linspace", "eye", "rand", "randn", "randint", "rand_like", "randn_like",
    "cat", "stack", "where", "matmul", "exp", "log", "sqrt", "tanh", "sigmoid", "abs",
    "clamp", "sum", "mean", "max", "min", "argmax", "argmin", "reshape", "flatten",
    "squeeze", "unsqueeze", "transpose", "permute",
]

# the torch namespaces scripts touch before any model code
from ._device import device  # noqa: E402
from ._generator import Generator  # noqa: E402
from . import accelerator, backends, cuda  # noqa: E402
from .backends import cudnn as _cudnn  # noqa: E402,F401  (fastconv.backends.cudnn)

__all__ += ["device", "Generator", "accelerator", "backends", "cuda", "utils"]
