"""Conv2d: a 2-D convolution layer with PyTorch's arguments and default initialisation."""
from typing import Tuple, Union

from .. import functional as F
from ..autograd import Tensor
from . import init
from ._utils import IntPair, channel_groups, new_parameter, pair
from .module import Module


class Conv2d(Module):
    """Applies conv2d over (N, C_in, H, W) inputs with a learned weight and optional bias.

    weight: (out_channels, in_channels / groups, kh, kw); bias: (out_channels,).
    Initialised as PyTorch does: kaiming_uniform_(a=sqrt(5)) for the weight, and the bias
    uniform in +-1/sqrt(fan_in).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = 1, padding: Union[IntPair, str] = 0,
                 dilation: IntPair = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__()
        in_channels, out_channels, groups = channel_groups(in_channels, out_channels, groups)
        if padding_mode != "zeros":
            raise ValueError("padding_mode must be 'zeros' (the only mode fastconv "
                             "implements), got %r" % (padding_mode,))
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", 1)
        self.stride = pair(stride, "stride", 1)
        self.dilation = pair(dilation, "dilation", 1)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError("padding must be an int, a pair, 'same' or 'valid', got %r"
                                 % (padding,))
            if padding == "same" and self.stride != (1, 1):
                raise ValueError("padding='same' is not supported for strided convolutions "
                                 "(stride=%r)" % (self.stride,))
            self.padding: Union[Tuple[int, int], str] = padding
        else:
            self.padding = pair(padding, "padding", 0)
        self.padding_mode = padding_mode
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = new_parameter(shape, dtype, device)
        if bias:
            self.bias = new_parameter((out_channels,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)); bias U(+-1/sqrt(fan_in))."""
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = "%d, %d, kernel_size=%s, stride=%s" % (self.in_channels, self.out_channels,
                                                      self.kernel_size, self.stride)
        if self.padding != (0, 0):
            text += ", padding=%s" % (self.padding,)
        if self.dilation != (1, 1):
            text += ", dilation=%s" % (self.dilation,)
        if self.groups != 1:
            text += ", groups=%d" % self.groups
        if self.bias is None:
            text += ", bias=False"
        return text

