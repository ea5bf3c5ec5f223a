"""max_pool2d: forward (window maxima and their argmax indices) next to its backward."""
from typing import Optional, Tuple, Union

from .. import ops
from ..autograd import Function, Tensor
from ._util import check_tensor

IntPair = Union[int, Tuple[int, int]]


class MaxPool2d(Function):
    """Max over sliding windows; backward sends each gradient to its window's argmax."""

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x, kernel_size=2, stride=None, padding=0, dilation=1, ceil_mode=False):
        ctx.unbatched = x.ndim == 3
        if ctx.unbatched:
            x = x[None]
        elif x.ndim != 4:
            raise ValueError("input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape %s"
                             % (tuple(x.shape),))
        y, indices = ops.max_pool2d_forward(x, kernel_size, stride, padding, dilation,
                                            ceil_mode)
        ctx.options = (kernel_size, stride, padding, dilation, ceil_mode)
        ctx.input_shape = x.shape
        ctx.indices = indices[0] if ctx.unbatched else indices
        return y[0] if ctx.unbatched else y

    @staticmethod
    def backward(ctx, grad):
        indices = ctx.indices
        if ctx.unbatched:
            grad, indices = grad[None], indices[None]
        dx = ops.max_pool2d_backward(grad, indices, ctx.input_shape, *ctx.options,
                                     check_indices=False)  # made by forward: in range
        return dx[0] if ctx.unbatched else dx


def max_pool2d(input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None,
               padding: IntPair = 0, dilation: IntPair = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """2-D max pooling, as torch.nn.functional.max_pool2d (stride defaults to kernel_size).

    With return_indices=True also returns an int64 Tensor of flat (row * W + col)
    positions of each maximum in its input plane, as PyTorch does.
    """
    check_tensor(input, "input")
    y, ctx = MaxPool2d.apply_with_context(input, kernel_size=kernel_size, stride=stride,
                                          padding=padding, dilation=dilation,
                                          ceil_mode=bool(ceil_mode))
    if return_indices:
        return y, Tensor(ctx.indices)
    return y


class MaxPool2x2OfReLU(Function):
    """max_pool2d(r, 2) of a ReLU's output r (values >= 0 or NaN): one-byte window
    positions instead of int64 indices, and a backward that applies ReLU's mask (winner
    > 0) and writes every input gradient once (no zero pass, no scatter): the pair
    relu_backward(max_pool2d_backward(...)) in one call. A ReLU fused into the BatchNorm
    before it masks again in its own backward, which changes nothing."""

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, r):
        ctx.pooled, ctx.positions = ops.max_pool2x2_forward(r)
        ctx.input_shape = r.shape
        return ctx.pooled

    @staticmethod
    def backward(ctx, grad):
        return ops.max_pool2x2_relu_backward(grad, ctx.pooled, ctx.positions,
                                             ctx.input_shape, check_positions=False)


def max_pool2x2_of_relu(input: Tensor) -> Tensor:
    """max_pool2d(input, 2) for an input that is a ReLU's output, with relu's gradient
    mask applied in the pool's backward (nn.Sequential's BatchNorm -> ReLU -> MaxPool2d(2)
    fusion); `input` must be 4-D with H, W >= 2."""
    check_tensor(input, "input")
    return MaxPool2x2OfReLU.apply(input)


def _as_batch(x):
    """(x as 4-D, unbatched): a 3-D (C, H, W) input gets a batch axis of 1."""
    if x.ndim == 3:
        return x[None], True
    if x.ndim != 4:
        raise ValueError("input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape %s"
                         % (tuple(x.shape),))
    return x, False


class AvgPool2d(Function):
    """Window averages (PyTorch's divisor rules); backward spreads each gradient, divided
    by its window's divisor, over the window's inputs."""

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x, kernel_size=2, stride=None, padding=0, ceil_mode=False,
                count_include_pad=True, divisor_override=None):
        x, ctx.unbatched = _as_batch(x)
        ctx.options = (kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)
        ctx.input_shape = x.shape
        y = ops.avg_pool2d_forward(x, *ctx.options)
        return y[0] if ctx.unbatched else y

    @staticmethod
    def backward(ctx, grad):
        dx = ops.avg_pool2d_backward(grad[None] if ctx.unbatched else grad, ctx.input_shape,
                                     *ctx.options)
        return dx[0] if ctx.unbatched else dx


def avg_pool2d(input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None,
               padding: IntPair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None) -> Tensor:
    """2-D average pooling, as torch.nn.functional.avg_pool2d (stride defaults to
    kernel_size). Each output is its window's sum over the divisor: the window's size
    counting zero padding (count_include_pad=True) or only the input elements it covers,
    never the overhang that ceil_mode adds past the padding; or divisor_override."""
    check_tensor(input, "input")
    return AvgPool2d.apply(input, kernel_size=kernel_size, stride=stride, padding=padding,
                           ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad),
                           divisor_override=divisor_override)


class AdaptiveAvgPool2d(Function):
    """Means over PyTorch's adaptive windows; backward spreads each gradient, divided by
    its window's size, over the window."""

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x, output_size=1):
        x, ctx.unbatched = _as_batch(x)
        ctx.input_shape = x.shape
        y = ops.adaptive_avg_pool2d_forward(x, output_size)
        return y[0] if ctx.unbatched else y

    @staticmethod
    def backward(ctx, grad):
        dx = ops.adaptive_avg_pool2d_backward(grad[None] if ctx.unbatched else grad,
                                              ctx.input_shape)
        return dx[0] if ctx.unbatched else dx


class AdaptiveMaxPool2d(Function):
    """Maxima over PyTorch's adaptive windows; backward sends each gradient to its
    window's argmax."""

    fresh_gradients = True   # backward allocates every gradient it returns

    @staticmethod
    def forward(ctx, x, output_size=1):
        x, ctx.unbatched = _as_batch(x)
        ctx.input_shape = x.shape
        y, indices = ops.adaptive_max_pool2d_forward(x, output_size)
        ctx.indices = indices[0] if ctx.unbatched else indices
        return y[0] if ctx.unbatched else y

    @staticmethod
    def backward(ctx, grad):
        indices = ctx.indices
        if ctx.unbatched:
            grad, indices = grad[None], indices[None]
        dx = ops.adaptive_max_pool2d_backward(grad, indices, ctx.input_shape,
                                              check_indices=False)  # made by forward
        return dx[0] if ctx.unbatched else dx


OutputSize = Union[int, None, Tuple[Optional[int], Optional[int]]]


def adaptive_avg_pool2d(input: Tensor, output_size: OutputSize) -> Tensor:
    """2-D adaptive average pooling, as torch.nn.functional.adaptive_avg_pool2d: output i
    of an axis averages inputs [floor(i*size/out), ceil((i+1)*size/out)); a None entry of
    output_size keeps the input's size (output_size=1 is global average pooling)."""
    check_tensor(input, "input")
    return AdaptiveAvgPool2d.apply(input, output_size=_hashable(output_size))


def adaptive_max_pool2d(input: Tensor, output_size: OutputSize, return_indices: bool = False
                        ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """2-D adaptive max pooling, as torch.nn.functional.adaptive_max_pool2d (the windows of
    adaptive_avg_pool2d). With return_indices=True also returns an int64 Tensor of the
    flat (row * W + col) position of each maximum in its input plane, as PyTorch does."""
    check_tensor(input, "input")
    y, ctx = AdaptiveMaxPool2d.apply_with_context(input, output_size=_hashable(output_size))
    if return_indices:
        return y, Tensor(ctx.indices)
    return y


def _hashable(output_size):
    """A list output_size as a tuple (the geometry validator caches tuples)."""
    return tuple(output_size) if isinstance(output_size, list) else output_size
