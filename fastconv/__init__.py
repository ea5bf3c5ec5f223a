"""fastconv: train convolutional networks on multicore CPUs at native speed.

Native OpenMP kernels (fastconv.ops) under an autograd tape (fastconv.autograd) and a
PyTorch-shaped API (fastconv.functional, fastconv.nn, fastconv.optim).
"""
__version__ = "0.1.0"

from ._threads import get_num_threads, set_num_threads
from . import ops
from .autograd import Tensor, enable_grad, from_numpy, no_grad, tensor
from .autograd.tensor import float32, float64, int64

__all__ = ["__version__", "get_num_threads", "set_num_threads", "ops", "Tensor", "tensor",
           "from_numpy", "no_grad", "enable_grad", "float32", "float64", "int64"]
