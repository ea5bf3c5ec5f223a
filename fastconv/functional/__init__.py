"""fastconv.functional: differentiable ops on Tensors, with PyTorch's names and semantics.

Each family lives in its own file with every Function's forward next to its backward;
the arithmetic runs in fastconv.ops.
"""
from .activation import log_softmax, relu, softmax
# conv2d_relu and conv2d_relu_max_pool2d are internal: nn.Sequential's fused paths
from .conv import conv2d, conv2d_relu, conv2d_relu_max_pool2d  # noqa: F401
from .linear import linear
from .loss import cross_entropy, mse_loss, nll_loss
from .pool import max_pool2d

__all__ = ["conv2d", "max_pool2d", "relu", "softmax", "log_softmax", "linear",
           "cross_entropy", "nll_loss", "mse_loss"]
