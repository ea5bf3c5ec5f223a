"""ZeroPad2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d and CircularPad2d: F.pad as
layers, with PyTorch's padding argument (an int for all four sides, or
(left, right, top, bottom))."""
from typing import Sequence, Tuple, Union

from .. import functional as F
from ..autograd import Tensor
from ._utils import positive_int
from .module import Module

Padding4 = Union[int, Sequence[int]]


def _four(padding: Padding4) -> Tuple[int, int, int, int]:
    """(left, right, top, bottom) from an int or a 4-sequence of ints."""
    if isinstance(padding, (list, tuple)):
        if len(padding) != 4:
            raise ValueError("padding must be an int or 4 ints (left, right, top, bottom), "
                             "got %r" % (padding,))
        return tuple(positive_int(p, "padding", minimum=-2 ** 62) for p in padding)
    p = positive_int(padding, "padding", minimum=-2 ** 62)
    return (p, p, p, p)


class _Pad2d(Module):
    mode = "constant"

    def __init__(self, padding: Padding4) -> None:
        super().__init__()
        self.padding = _four(padding)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return "%s" % (self.padding,)


class ConstantPad2d(_Pad2d):
    """Pad the last two dimensions with `value`, as torch.nn.ConstantPad2d."""

    def __init__(self, padding: Padding4, value: float) -> None:
        super().__init__(padding)
        self.value = float(value)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return "padding=%s, value=%s" % (self.padding, self.value)


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dimensions with zeros, as torch.nn.ZeroPad2d."""

    def __init__(self, padding: Padding4) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return "%s" % (self.padding,)


class ReflectionPad2d(_Pad2d):
    """Mirror the last two dimensions about their edges (the edge not repeated), as
    torch.nn.ReflectionPad2d; each amount must be smaller than the size it pads."""

    mode = "reflect"


class ReplicationPad2d(_Pad2d):
    """Repeat the edge rows and columns, as torch.nn.ReplicationPad2d."""

    mode = "replicate"


class CircularPad2d(_Pad2d):
    """Wrap the last two dimensions around, as torch.nn.CircularPad2d."""

    mode = "circular"
