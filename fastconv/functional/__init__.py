"""fastconv.functional: differentiable ops on Tensors, with PyTorch's names and semantics.

Each family lives in its own file with every Function's forward next to its backward;
the arithmetic runs in fastconv.ops.
"""
from .activation import log_softmax, relu, softmax
from .conv import conv2d, conv2d_relu  # noqa: F401  (internal: used by nn.Sequential)
from .linear import linear
from .loss import cross_entropy, mse_loss, nll_loss
from .pool import max_pool2d

__all__ = ["conv2d", "max_pool2d", "relu", "softmax", "log_softmax", "linear",
           "cross_entropy", "nll_loss", "mse_loss"]
