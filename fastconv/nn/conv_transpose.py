"""ConvTranspose2d: a 2-D transposed convolution layer with PyTorch's arguments, default
initialisation and forward(input, output_size=None)."""
from typing import Optional, Sequence, Tuple

from .. import functional as F
from ..autograd import Tensor
from . import init
from ._utils import IntPair, channel_groups, new_parameter, pair
from .module import Module


class ConvTranspose2d(Module):
    """Applies conv_transpose2d over (N, C_in, H, W) inputs (the adjoint of Conv2d: it
    upsamples by `stride`), as torch.nn.ConvTranspose2d.

    weight: (in_channels, out_channels / groups, kh, kw); bias: (out_channels,).
    Initialised as PyTorch does: kaiming_uniform_(a=sqrt(5)) for the weight (its fan-in
    is weight.shape[1] * kh * kw) and the bias uniform in +-1/sqrt(fan_in).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = 1, padding: IntPair = 0, output_padding: IntPair = 0,
                 groups: int = 1, bias: bool = True, dilation: IntPair = 1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__()
        in_channels, out_channels, groups = channel_groups(in_channels, out_channels, groups)
        if padding_mode != "zeros":
            raise ValueError('Only "zeros" padding mode is supported for ConvTranspose2d, '
                             "got %r" % (padding_mode,))
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", 1)
        self.stride = pair(stride, "stride", 1)
        self.padding = pair(padding, "padding", 0)
        self.output_padding = pair(output_padding, "output_padding", 0)
        self.dilation = pair(dilation, "dilation", 1)
        self.padding_mode = padding_mode
        shape = (in_channels, out_channels // groups) + self.kernel_size
        self.weight = new_parameter(shape, dtype, device)
        if bias:
            self.bias = new_parameter((out_channels,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)); bias U(+-1/sqrt(fan_in))."""
        init.default_layer_init_(self.weight, self.bias)

    def _output_padding(self, input: Tensor, output_size: Optional[Sequence[int]]
                        ) -> Tuple[int, int]:
        """output_padding, or the one that gives `output_size` (PyTorch's rule: the size
        must lie between the smallest output and that plus stride - 1)."""
        if output_size is None:
            return self.output_padding
        batched = input.ndim == 4
        non_spatial = 2 if batched else 1
        size = [int(s) for s in output_size]
        if len(size) == non_spatial + 2:
            size = size[non_spatial:]
        if len(size) != 2:
            raise ValueError("ConvTranspose2D: for %dD input, output_size must have 2 or %d "
                             "elements (got %d)" % (input.ndim, non_spatial + 2,
                                                    len(output_size)))
        spatial = input.shape[non_spatial:]
        mins = [(spatial[d] - 1) * self.stride[d] - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(2)]
        maxs = [mins[d] + self.stride[d] - 1 for d in range(2)]
        if any(not mins[d] <= size[d] <= maxs[d] for d in range(2)):
            raise ValueError("requested an output size of %s, but valid sizes range from %s "
                             "to %s (for an input of %s)"
                             % (size, mins, maxs, list(spatial)))
        return (size[0] - mins[0], size[1] - mins[1])

    def forward(self, input: Tensor, output_size: Optional[Sequence[int]] = None) -> Tensor:
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)

    def extra_repr(self) -> str:
        text = "%d, %d, kernel_size=%s, stride=%s" % (self.in_channels, self.out_channels,
                                                      self.kernel_size, self.stride)
        if self.padding != (0, 0):
            text += ", padding=%s" % (self.padding,)
        if self.dilation != (1, 1):
            text += ", dilation=%s" % (self.dilation,)
        if self.output_padding != (0, 0):
            text += ", output_padding=%s" % (self.output_padding,)
        if self.groups != 1:
            text += ", groups=%d" % self.groups
        if self.bias is None:
            text += ", bias=False"
        return text
