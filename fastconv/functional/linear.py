"""linear: y = x @ W.T + b over the last axis, forward next to backward."""
from typing import Optional

from .. import ops
from ..autograd import Function, Tensor
from ._util import check_tensor


class Linear(Function):
    """Any leading axes are folded into one batch axis for the GEMM and restored after."""

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x, w, b):
        if x.ndim < 1:
            raise ValueError("input must have at least 1 dimension (*, in_features), "
                             "got a 0-d tensor")
        if w.ndim != 2:
            raise ValueError("weight must be 2-D (out_features, in_features), got shape %s"
                             % (tuple(w.shape),))
        if x.shape[-1] != w.shape[1]:
            raise ValueError("input has %d features (last axis of shape %s) but weight of "
                             "shape %s expects %d" % (x.shape[-1], tuple(x.shape),
                                                      tuple(w.shape), w.shape[1]))
        lead = x.shape[:-1]
        x2 = x.reshape(-1, x.shape[-1])
        ctx.save_for_backward(x2, w)
        ctx.input_shape = x.shape
        y = ops.linear_forward(x2, w, b)
        return y.reshape(lead + (w.shape[0],))

    @staticmethod
    def backward(ctx, grad):
        x2, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        g2 = grad.reshape(-1, w.shape[0])
        dx = ops.linear_backward_data(g2, w).reshape(ctx.input_shape) if need_x else None
        dw = ops.linear_backward_weight(g2, x2) if need_w else None
        db = g2.sum(axis=0) if need_b else None
        return dx, dw, db


class LinearReLU(Function):
    """relu(x @ W.T + b) as one tape node: ReLU runs in place on the GEMM's output, and
    the backward reads its mask from that output (no pre-activation array is kept)."""

    fresh_gradients = True

    @staticmethod
    def forward(ctx, x, w, b):
        y = Linear.forward(ctx, x, w, b)
        ops.relu_forward(y, out=y)
        ctx.output = y
        return y

    @staticmethod
    def backward(ctx, grad):
        return Linear.backward(ctx, ops.relu_backward(grad, ctx.output))


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """input (*, in_features) @ weight.T (out_features, in_features) + bias, as torch's."""
    check_tensor(input, "input")
    check_tensor(weight, "weight")
    check_tensor(bias, "bias", optional=True)
    return Linear.apply(input, weight, bias)


def linear_relu(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """relu(linear(input, weight, bias)) in one pass and one tape node (what nn.Sequential
    runs for Linear -> ReLU)."""
    check_tensor(input, "input")
    check_tensor(weight, "weight")
    check_tensor(bias, "bias", optional=True)
    return LinearReLU.apply(input, weight, bias)
