"""MaxPool2d: the max_pool2d layer."""
from typing import Optional, Tuple, Union

from .. import functional as F
from ..autograd import Tensor
from ._utils import IntPair
from .module import Module


class MaxPool2d(Module):
    """Max over kernel_size windows (stride defaults to kernel_size), as torch.nn.MaxPool2d."""

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None,
                 padding: IntPair = 0, dilation: IntPair = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return ("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}"
                .format(self.kernel_size, self.stride, self.padding, self.dilation,
                        self.ceil_mode))


class AvgPool2d(Module):
    """Averages over kernel_size windows (stride defaults to kernel_size), as
    torch.nn.AvgPool2d: count_include_pad and ceil_mode decide the divisor as torch's do,
    divisor_override replaces it."""

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None,
                 padding: IntPair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: Optional[int] = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return "kernel_size={}, stride={}, padding={}".format(self.kernel_size, self.stride,
                                                              self.padding)


class AdaptiveAvgPool2d(Module):
    """Averages over the windows that give an output of output_size (an int, a pair, or
    a pair with None entries for "as the input"), as torch.nn.AdaptiveAvgPool2d;
    AdaptiveAvgPool2d(1) is global average pooling."""

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return "output_size={}".format(self.output_size)


class AdaptiveMaxPool2d(Module):
    """Maxima over the windows of AdaptiveAvgPool2d, as torch.nn.AdaptiveMaxPool2d (with
    return_indices, also the flat argmax positions)."""

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return "output_size={}".format(self.output_size)
