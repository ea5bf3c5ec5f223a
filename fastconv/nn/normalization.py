"""BatchNorm1d and BatchNorm2d: batch normalisation layers with PyTorch's arguments, buffers
and state_dict names (weight, bias, running_mean, running_var, num_batches_tracked)."""
import numbers
from typing import Optional

import numpy as np

from .. import functional as F
from ..autograd import Tensor, no_grad
from ..autograd import ones, tensor, zeros
from ..functional.norm import batch_norm_relu
from . import init
from ._utils import new_parameter, positive_int
from .module import Module


def _momentum(value) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("momentum must be a float or None, got %r" % (value,))
    if value < 0:
        raise ValueError("momentum must be >= 0 (or None for a cumulative average), got %r"
                         % (value,))
    return float(value)


class _BatchNorm(Module):
    """The layers' common body: parameters, buffers, and the forward's choice of
    statistics (torch.nn.modules.batchnorm._BatchNorm)."""

    _ranks = ()   # input ranks the layer accepts

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = positive_int(num_features, "num_features")
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps >= 0:
            raise ValueError("eps must be a non-negative float, got %r" % (eps,))
        self.eps = float(eps)
        self.momentum = _momentum(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        c = self.num_features
        if self.affine:
            self.weight = new_parameter((c,), dtype, device)
            if bias:
                self.bias = new_parameter((c,), dtype, device)
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", zeros(c, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(c, dtype=dtype, device=device))
            count = tensor(np.array(0, dtype=np.int64))
            self.register_buffer("num_batches_tracked",
                                 count.to(device) if device is not None else count)
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean._data[...] = 0
                self.running_var._data[...] = 1
                self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        """reset_running_stats(), weight 1 and bias 0 (PyTorch's initialisation)."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check_input(self, input: Tensor) -> None:
        if not isinstance(input, Tensor):
            raise TypeError("input must be a fastconv Tensor, got %s" % type(input).__name__)
        if input.ndim not in self._ranks:
            raise ValueError("expected %s input (got %dD input)"
                             % (" or ".join("%dD" % r for r in self._ranks), input.ndim))
        if input.shape[1] != self.num_features:
            raise ValueError("input has %d channels (shape %s), but num_features is %d"
                             % (input.shape[1], input.shape, self.num_features))

    def forward(self, input: Tensor) -> Tensor:
        return self._forward(input, relu=False)

    def _forward(self, input: Tensor, relu: bool) -> Tensor:
        """The layer's output, or relu of it (nn.Sequential's BatchNorm -> ReLU fusion)."""
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data[...] += 1
            if self.momentum is None:   # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked._data)
        use_batch_stats = self.training or (self.running_mean is None
                                            and self.running_var is None)
        keep = not self.training or self.track_running_stats
        fn = batch_norm_relu if relu else F.batch_norm
        return fn(input, self.running_mean if keep else None,
                  self.running_var if keep else None, self.weight, self.bias,
                  use_batch_stats, factor, self.eps)

    def uses_running_stats(self) -> bool:
        """True when forward normalises with the running statistics (evaluation mode with
        tracked statistics): the layer is then a fixed affine map per channel."""
        return not self.training and self.running_mean is not None

    def extra_repr(self) -> str:
        return ("{}, eps={}, momentum={}, affine={}, bias={}, track_running_stats={}"
                .format(self.num_features, self.eps, self.momentum, self.affine,
                        self.bias is not None, self.track_running_stats))


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) inputs, per channel C, as
    torch.nn.BatchNorm1d."""

    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) inputs, per channel C, as torch.nn.BatchNorm2d."""

    _ranks = (4,)
