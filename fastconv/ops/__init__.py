"""fastconv.ops: the raw kernels on arrays, with no autograd.

numpy in, numpy out (cupy in, cupy out where CuPy is usable). float32 and float64.
Array inputs may also be any object with the buffer protocol (memoryview, array.array,
...) or __array_interface__: one that is already C-contiguous and of a float dtype is
read in place, without a copy (others are copied to C order; lists are refused).
Every function validates its arguments and raises TypeError/ValueError naming the bad
one before native code runs; the native work runs with the GIL released, so calls
from several Python threads proceed in parallel and are thread-safe. Outputs can be
written into preallocated `out=` buffers.
"""
from .activation import add_relu_forward, relu_backward, relu_forward
from .boxes import batched_nms, box_area, box_decode, box_encode, box_iou, nms
from .conv_transpose import (conv_transpose2d_backward_bias, conv_transpose2d_backward_data,
                             conv_transpose2d_backward_weight, conv_transpose2d_forward,
                             conv_transpose2d_geometry)
from .activation import (ACTIVATIONS, activation_backward, activation_backward_reads,
                         activation_forward)
from .conv import (conv2d_backward_bias, conv2d_backward_data, conv2d_backward_weight,
                   conv2d_forward, conv2d_geometry, conv2d_relu_max_pool2x2_forward)
from .dropout import dropout_backward, dropout_forward
from .linear import (gemm, linear_backward_data, linear_backward_weight, linear_forward,
                     matmul)
from .loss import class_target_error, cross_entropy_backward, cross_entropy_forward
from .optim import sgd_update
from .norm import batch_norm_backward, batch_norm_forward, batch_norm_geometry
from .resample import (affine_grid_backward, affine_grid_forward, grid_sample_backward,
                       grid_sample_forward, pad_backward, pad_forward,
                       upsample_bilinear2d_backward, upsample_bilinear2d_forward,
                       upsample_nearest2d_backward, upsample_nearest2d_forward)
from .rnn import rnn_backward, rnn_forward, rnn_workspace_size
from .pool import (max_pool2d_backward, max_pool2d_forward, max_pool2d_geometry,
                   max_pool2d_is_2x2, max_pool2x2_forward, max_pool2x2_relu_backward)
from .pool import avg_pool2d_backward, avg_pool2d_forward, avg_pool2d_geometry
from .pool import (adaptive_avg_pool2d_backward, adaptive_avg_pool2d_forward,
                   adaptive_max_pool2d_backward, adaptive_max_pool2d_forward,
                   adaptive_pool2d_geometry)

__all__ = [
    "conv2d_forward", "conv2d_backward_data", "conv2d_backward_weight",
    "conv2d_backward_bias", "conv2d_geometry", "conv2d_relu_max_pool2x2_forward",
    "max_pool2d_forward", "max_pool2d_backward", "max_pool2d_geometry",
    "max_pool2d_is_2x2", "max_pool2x2_forward", "max_pool2x2_relu_backward",
    "relu_forward", "relu_backward", "add_relu_forward",
    "gemm", "matmul", "linear_forward", "linear_backward_data", "linear_backward_weight",
    "class_target_error", "cross_entropy_forward", "cross_entropy_backward",
    "sgd_update",
    "batch_norm_forward", "batch_norm_backward", "batch_norm_geometry",
    "dropout_forward", "dropout_backward",
    "conv_transpose2d_forward", "conv_transpose2d_backward_data",
    "conv_transpose2d_backward_weight", "conv_transpose2d_backward_bias",
    "conv_transpose2d_geometry",
    "upsample_nearest2d_forward", "upsample_nearest2d_backward",
    "upsample_bilinear2d_forward", "upsample_bilinear2d_backward", "pad_forward",
    "pad_backward", "grid_sample_forward", "grid_sample_backward", "affine_grid_forward",
    "affine_grid_backward",
    "box_area", "box_iou", "nms", "batched_nms", "box_encode", "box_decode",
    "avg_pool2d_forward", "avg_pool2d_backward", "avg_pool2d_geometry",
    "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward",
    "adaptive_max_pool2d_forward", "adaptive_max_pool2d_backward", "adaptive_pool2d_geometry",
    "ACTIVATIONS", "activation_forward", "activation_backward", "activation_backward_reads",
    "rnn_forward", "rnn_backward", "rnn_workspace_size",
]
