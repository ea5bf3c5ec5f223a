"""batch_norm (and its fused form with ReLU): forward next to backward.

The forward keeps the input, the per-channel mean and invstd, and the affine parameters;
the backward recomputes x - mean from the input (no normalised copy is kept), and the
fused ReLU's mask from the same values, so batch_norm_relu keeps nothing more than
batch_norm does.
"""
from typing import Optional

from .. import ops
from ..autograd import Function, Tensor
from ._util import check_tensor


class BatchNorm(Function):
    """y = (x - mean) * invstd * weight + bias per channel (+ ReLU when relu=True)."""

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x, weight, bias, *, running_mean, running_var, training, momentum, eps,
                relu=False):
        y, mean, invstd = ops.batch_norm_forward(x, running_mean, running_var, weight, bias,
                                                 training, momentum, eps, relu=relu)
        ctx.save_for_backward(x, mean, invstd, weight, bias)
        ctx.training, ctx.relu = training, relu
        return y

    @staticmethod
    def backward(ctx, grad):
        x, mean, invstd, weight, bias = ctx.saved_tensors
        return ops.batch_norm_backward(grad, x, mean, invstd, weight, bias, ctx.training,
                                       relu=ctx.relu, output_mask=ctx.needs_input_grad)


def _check(input, running_mean, running_var, weight, bias) -> None:
    check_tensor(input, "input")
    for value, name in ((running_mean, "running_mean"), (running_var, "running_var"),
                        (weight, "weight"), (bias, "bias")):
        check_tensor(value, name, optional=True)
    for value, name in ((running_mean, "running_mean"), (running_var, "running_var")):
        if value is not None and value.requires_grad:
            raise ValueError("%s is a buffer updated in place and must not require grad"
                             % name)


def _apply(input, running_mean, running_var, weight, bias, training, momentum, eps,
           relu) -> Tensor:
    _check(input, running_mean, running_var, weight, bias)
    return BatchNorm.apply(input, weight, bias,
                           running_mean=None if running_mean is None else running_mean._data,
                           running_var=None if running_var is None else running_var._data,
                           training=bool(training), momentum=momentum, eps=eps, relu=relu)


def batch_norm(input: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation over (N, C, *) per channel, as torch.nn.functional.batch_norm.

    training=True uses the batch's statistics and updates running_mean / running_var in
    place when given (running = (1 - momentum) * running + momentum * batch, with the
    unbiased variance); training=False uses the running statistics.
    """
    return _apply(input, running_mean, running_var, weight, bias, training, momentum, eps,
                  False)


def batch_norm_relu(input: Tensor, running_mean: Optional[Tensor],
                    running_var: Optional[Tensor], weight: Optional[Tensor] = None,
                    bias: Optional[Tensor] = None, training: bool = False,
                    momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """relu(batch_norm(...)) in one pass, with the same results and gradients;
    nn.Sequential uses it for BatchNorm -> ReLU."""
    return _apply(input, running_mean, running_var, weight, bias, training, momentum, eps,
                  True)
