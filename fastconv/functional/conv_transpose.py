"""conv_transpose2d (torch.nn.functional's), forward next to backward: the adjoint of
conv2d, run on the convolution kernels (see fastconv/ops/conv_transpose.py)."""
from typing import Optional, Tuple, Union

from .. import ops
from ..autograd import Function, Tensor
from ._util import check_tensor
from .conv import _batched

IntPair = Union[int, Tuple[int, int]]


class ConvTranspose2d(Function):
    """y = conv_transpose2d(x, w) + b; backward: dx = conv2d(dy, w), dw = conv2d's weight
    gradient with dy as its input and x as its upstream gradient, db = sum of dy."""

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x, w, b, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
        x, ctx.unbatched = _batched(x)
        ctx.options = (stride, padding, output_padding, groups, dilation)
        y = ops.conv_transpose2d_forward(x, w, b, *ctx.options)
        ctx.save_for_backward(x, w)
        return y[0] if ctx.unbatched else y

    @staticmethod
    def backward(ctx, grad):
        dy = grad[None] if ctx.unbatched else grad
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        opts = ctx.options
        dx = ops.conv_transpose2d_backward_data(dy, w, x.shape, *opts) if need_x else None
        dw = ops.conv_transpose2d_backward_weight(x, dy, w.shape, *opts) if need_w else None
        db = ops.conv_transpose2d_backward_bias(dy) if need_b else None
        if dx is not None and ctx.unbatched:
            dx = dx[0]
        return dx, dw, db


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
                     stride: IntPair = 1, padding: IntPair = 0, output_padding: IntPair = 0,
                     groups: int = 1, dilation: IntPair = 1) -> Tensor:
    """2-D transposed convolution over (N, C_in, H, W) or (C_in, H, W), as
    torch.nn.functional.conv_transpose2d (note groups before dilation): weight is
    (C_in, C_out / groups, kh, kw) and H_out = (H - 1) * stride - 2 * padding +
    dilation * (kh - 1) + output_padding + 1."""
    check_tensor(input, "input")
    check_tensor(weight, "weight")
    check_tensor(bias, "bias", optional=True)
    return ConvTranspose2d.apply(input, weight, bias, stride=stride, padding=padding,
                                 output_padding=output_padding, groups=groups,
                                 dilation=dilation)
