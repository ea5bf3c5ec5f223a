"""Array-generic kernels: the same functions as fastconv._cpu, on any numpy-like namespace.

Every function takes the geometry tuple and preallocated outputs that fastconv.ops builds,
writes the result into the output and returns it; `nthreads` is accepted and ignored.
The namespace `xp` comes from the arrays themselves (numpy, or cupy for cupy arrays), so
this module is both the CPU test oracle for the native kernels and the body of the CuPy
backend. CuPy is never imported here unless a non-numpy array arrives.

Conventions follow csrc/fastconv.h: pad_top/pad_left are given, bottom/right padding is
whatever oh/ow imply (taps outside the input read as zero for convolution and as -inf for
pooling); max pooling returns the flat (row * w + col) argmax in the input plane, a NaN
wins its window (the last NaN, as PyTorch's kernels do), the first maximum wins ties, and
a window holding no finite maximum points at its first in-bounds tap (or, when it has
none, the input element nearest to its start).
"""
from .activation import add_relu_forward, relu_backward, relu_forward
from .activation import activation_backward, activation_forward
from .conv import (conv2d_backward_bias, conv2d_backward_data, conv2d_backward_weight,
                   conv2d_forward, conv2d_relu_max_pool2x2)
from .gemm import gemm
from .loss import class_target_error, cross_entropy_backward, cross_entropy_forward
from .optim import sgd_update
from .norm import batch_norm_backward, batch_norm_forward_eval, batch_norm_forward_train
from .random import dropout_backward, dropout_forward
from .resample import (gather2d_backward, gather2d_forward, grid_sample2d_backward,
                       grid_sample2d_forward, linear2d_backward, linear2d_forward)
from .rnn import rnn_backward, rnn_forward
from .pool import (max_pool2d_backward, max_pool2d_forward, max_pool2x2_forward,
                   max_pool2x2_relu_backward)
from .pool import avg_pool2d_backward, avg_pool2d_forward
from .pool import (adaptive_avg_pool2d_backward, adaptive_avg_pool2d_forward,
                   adaptive_max_pool2d_backward, adaptive_max_pool2d_forward)

__all__ = [
    "gemm", "conv2d_forward", "conv2d_relu_max_pool2x2", "conv2d_backward_data",
    "conv2d_backward_weight", "conv2d_backward_bias", "max_pool2d_forward",
    "max_pool2d_backward", "max_pool2x2_forward", "max_pool2x2_relu_backward",
    "relu_forward", "relu_backward", "add_relu_forward", "class_target_error",
    "cross_entropy_forward",
    "cross_entropy_backward", "sgd_update", "batch_norm_forward_train", "batch_norm_forward_eval",
    "batch_norm_backward", "dropout_forward", "dropout_backward",
    "gather2d_forward", "gather2d_backward", "linear2d_forward", "linear2d_backward",
    "grid_sample2d_forward", "grid_sample2d_backward",
    "avg_pool2d_forward", "avg_pool2d_backward", "adaptive_avg_pool2d_forward",
    "adaptive_avg_pool2d_backward", "adaptive_max_pool2d_forward",
    "adaptive_max_pool2d_backward", "activation_forward", "activation_backward",
    "rnn_forward", "rnn_backward",
]
