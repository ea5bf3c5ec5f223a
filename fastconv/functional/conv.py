"""conv2d and its fused forms (conv + bias + ReLU, conv + bias + ReLU + max-pool), each
forward next to its backward."""
from typing import Optional, Tuple, Union

from .. import ops
from ..autograd import Function, Tensor
from ._util import check_tensor

IntPair = Union[int, Tuple[int, int]]
Padding = Union[int, Tuple[int, int], str]


def _batched(x):
    """(x as 4-D, whether a batch axis was added): torch accepts unbatched (C, H, W)."""
    if x.ndim == 3:
        return x[None], True
    if x.ndim != 4:
        raise ValueError("input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape %s"
                         % (tuple(x.shape),))
    return x, False


def _conv_backward(ctx, dy) -> Tuple:
    """Gradients of conv2d for (input, weight, bias), skipping those nobody needs."""
    x, w = ctx.saved_tensors
    opts = ctx.options
    need_x, need_w, need_b = ctx.needs_input_grad
    dx = ops.conv2d_backward_data(dy, w, x.shape, *opts) if need_x else None
    dw = ops.conv2d_backward_weight(x, dy, w.shape, *opts) if need_w else None
    db = ops.conv2d_backward_bias(dy) if need_b else None
    if dx is not None and ctx.unbatched:
        dx = dx[0]
    return dx, dw, db


class Conv2d(Function):
    """y = conv2d(x, w) + b (cross-correlation, PyTorch semantics)."""

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x, w, b, stride=1, padding=0, dilation=1, groups=1):
        x, ctx.unbatched = _batched(x)
        y = ops.conv2d_forward(x, w, b, stride, padding, dilation, groups)
        ctx.options = (stride, padding, dilation, groups)
        ctx.save_for_backward(x, w)
        return y[0] if ctx.unbatched else y

    @staticmethod
    def backward(ctx, grad):
        return _conv_backward(ctx, grad[None] if ctx.unbatched else grad)


class Conv2dReLU(Function):
    """relu(conv2d(x, w) + b) in one kernel call; backward masks dy with the output."""

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x, w, b, stride=1, padding=0, dilation=1, groups=1):
        x, ctx.unbatched = _batched(x)
        y = ops.conv2d_forward(x, w, b, stride, padding, dilation, groups, relu=True)
        ctx.options = (stride, padding, dilation, groups)
        ctx.save_for_backward(x, w)
        ctx.output = y
        return y[0] if ctx.unbatched else y

    @staticmethod
    def backward(ctx, grad):
        dy = ops.relu_backward(grad[None] if ctx.unbatched else grad, ctx.output)
        return _conv_backward(ctx, dy)


class Conv2dReLUMaxPool2d(Function):
    """max_pool2d(relu(conv2d(x, w) + b)), keeping no conv output for backward.

    Max-pool's gradient lands only on window argmaxes, where the conv output equals the
    pooled value; so ReLU's mask (output > 0; 0 and NaN block) is read from the pooled
    output, before routing instead of after. Gradients are bit-identical to the unfused
    ops, ties (first maximum) and NaN (last NaN wins, blocks) included. A window with no
    tap in the plane (-inf) breaks this; it needs pool dilation > plane size, and then
    the conv output is kept and used as in the unfused ops. Plain 2x2 stride-2 pooling
    keeps 1-byte window positions instead of int64 indices, and runs as one native pass
    that never writes the conv output where a fused kernel covers the layer
    (ops.conv2d_relu_max_pool2x2_forward); its backward masks, routes and zero-fills in one
    pass (ops.max_pool2x2_relu_backward).
    """

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x, w, b, stride=1, padding=0, dilation=1, groups=1, *, pool):
        """pool: max_pool2d's (kernel_size, stride, padding, dilation, ceil_mode)."""
        x, ctx.unbatched = _batched(x)
        ctx.options = (stride, padding, dilation, groups)
        conv_shape = ops.conv2d_geometry(x.shape, w.shape, *ctx.options)[1]
        ctx.pool, ctx.conv_shape, ctx.conv_output = pool, conv_shape, None
        if ops.max_pool2d_is_2x2(conv_shape, *pool):   # 1-byte window positions
            ctx.pooled, ctx.positions = ops.conv2d_relu_max_pool2x2_forward(
                x, w, b, stride, padding, dilation, groups)
        else:
            y = ops.conv2d_forward(x, w, b, stride, padding, dilation, groups, relu=True)
            ctx.pooled, ctx.indices = ops.max_pool2d_forward(y, *pool)
            ctx.positions = None
            pool_dilation = pool[3] if isinstance(pool[3], (tuple, list)) else (pool[3],) * 2
            if any(d > n for d, n in zip(pool_dilation, y.shape[2:])):  # empty windows
                ctx.conv_output = y
        pooled = ctx.pooled
        ctx.save_for_backward(x, w)
        return pooled[0] if ctx.unbatched else pooled

    @staticmethod
    def backward(ctx, grad):
        dy = grad[None] if ctx.unbatched else grad
        if ctx.positions is not None:   # mask, route and zero-fill in one pass
            dy = ops.max_pool2x2_relu_backward(dy, ctx.pooled, ctx.positions, ctx.conv_shape,
                                               check_positions=False)   # made by forward
            return _conv_backward(ctx, dy)
        route = (ctx.indices, ctx.conv_shape) + tuple(ctx.pool)
        trusted = dict(check_indices=False)   # indices made by forward: in range
        if ctx.conv_output is None:  # mask with the pooled values, then route
            dy = ops.max_pool2d_backward(ops.relu_backward(dy, ctx.pooled), *route, **trusted)
        else:                        # route, then mask with the conv output
            dy = ops.relu_backward(ops.max_pool2d_backward(dy, *route, **trusted),
                                   ctx.conv_output)
        return _conv_backward(ctx, dy)


def _check(input, weight, bias) -> None:
    check_tensor(input, "input")
    check_tensor(weight, "weight")
    check_tensor(bias, "bias", optional=True)


def conv2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
           stride: IntPair = 1, padding: Padding = 0, dilation: IntPair = 1,
           groups: int = 1) -> Tensor:
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W), as torch.nn.functional.conv2d.

    padding is an int, a pair, 'valid' (none) or 'same' (output size = input size,
    stride 1 only; the extra pad of an even kernel goes bottom/right, as in PyTorch).
    """
    _check(input, weight, bias)
    return Conv2d.apply(input, weight, bias, stride=stride, padding=padding,
                        dilation=dilation, groups=groups)


def conv2d_relu(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
                stride: IntPair = 1, padding: Padding = 0, dilation: IntPair = 1,
                groups: int = 1) -> Tensor:
    """relu(conv2d(...)) fused into one native call; nn.Sequential uses it for Conv2d->ReLU."""
    _check(input, weight, bias)
    return Conv2dReLU.apply(input, weight, bias, stride=stride, padding=padding,
                            dilation=dilation, groups=groups)


def conv2d_relu_max_pool2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
                           stride: IntPair = 1, padding: Padding = 0, dilation: IntPair = 1,
                           groups: int = 1, kernel_size: IntPair = 2,
                           pool_stride: Optional[IntPair] = None, pool_padding: IntPair = 0,
                           pool_dilation: IntPair = 1, ceil_mode: bool = False) -> Tensor:
    """max_pool2d(relu(conv2d(...)), kernel_size, pool_stride, ...) fused, keeping no conv
    output for backward; nn.Sequential uses it for Conv2d -> ReLU -> MaxPool2d."""
    _check(input, weight, bias)
    pool = (kernel_size, pool_stride, pool_padding, pool_dilation, bool(ceil_mode))
    return Conv2dReLUMaxPool2d.apply(input, weight, bias, stride=stride, padding=padding,
                                     dilation=dilation, groups=groups, pool=pool)
