"""fastconv.functional: differentiable ops on Tensors, with PyTorch's names and semantics.

Each family lives in its own file with every Function's forward next to its backward;
the arithmetic runs in fastconv.ops.
"""
from .activation import add_relu, log_softmax, relu, softmax
from .activation import (elu, gelu, hardsigmoid, hardswish, hardtanh, leaky_relu, mish, relu6,
                         sigmoid, silu, softplus, tanh)
# conv2d_relu and conv2d_relu_max_pool2d are internal: nn.Sequential's fused paths
from .conv import conv2d, conv2d_relu, conv2d_relu_max_pool2d  # noqa: F401
from .conv_transpose import conv_transpose2d
from .dropout import dropout, dropout1d, dropout2d
from .linear import linear
from .loss import cross_entropy, nll_loss
from .loss_binary import binary_cross_entropy, binary_cross_entropy_with_logits
from .loss_pointwise import huber_loss, l1_loss, mse_loss, smooth_l1_loss
from .norm import batch_norm
from .pool import max_pool2d
from .resample import (affine_grid, grid_sample, interpolate, pad, upsample, upsample_bilinear,
                       upsample_nearest)
from .pool import avg_pool2d
from .pool import adaptive_avg_pool2d, adaptive_max_pool2d
from .rnn import (gru, gru_cell, lstm, lstm_cell, rnn_relu, rnn_relu_cell, rnn_tanh,
                  rnn_tanh_cell)
from .sparse import embedding

__all__ = ["conv2d", "max_pool2d", "relu", "add_relu", "softmax", "log_softmax", "linear",
           "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "batch_norm",
           "dropout", "dropout1d", "dropout2d", "conv_transpose2d", "interpolate", "upsample",
           "upsample_nearest", "upsample_bilinear", "pad", "affine_grid", "grid_sample",
           "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "leaky_relu", "elu",
           "gelu", "silu", "sigmoid", "tanh", "softplus", "hardtanh", "relu6", "hardswish",
           "hardsigmoid", "mish",
           "embedding", "rnn_tanh", "rnn_relu", "lstm", "gru", "rnn_tanh_cell", "rnn_relu_cell",
           "lstm_cell", "gru_cell"]
