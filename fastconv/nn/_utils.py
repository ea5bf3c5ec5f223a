"""Argument checks shared by the layer constructors."""
from typing import Tuple, Union

IntPair = Union[int, Tuple[int, int]]


def positive_int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or hasattr(value, "shape"):
        try:
            import operator
            value = operator.index(value)
        except TypeError:
            raise TypeError("%s must be an int, got %r" % (name, value)) from None
    if value < minimum:
        raise ValueError("%s must be >= %d, got %d" % (name, minimum, value))
    return int(value)


def pair(value: IntPair, name: str, minimum: int) -> Tuple[int, int]:
    """An int or a pair of ints, each >= minimum, as a 2-tuple."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError("%s must be an int or a pair of ints, got %r" % (name, value))
        return (positive_int(value[0], name, minimum), positive_int(value[1], name, minimum))
    v = positive_int(value, name, minimum)
    return (v, v)


def new_parameter(shape: Tuple[int, ...], dtype=None, device=None):
    """A zero-filled Parameter of `shape` (float32 unless `dtype` says otherwise) on
    `device`, to be initialised by the layer's reset_parameters()."""
    from ..autograd.creation import zeros
    from .parameter import Parameter
    return Parameter(zeros(shape, dtype=dtype, device=device))


def channel_groups(in_channels, out_channels, groups) -> Tuple[int, int, int]:
    """(in_channels, out_channels, groups) of a convolution layer, each a positive int
    and both channel counts divisible by groups."""
    in_channels = positive_int(in_channels, "in_channels")
    out_channels = positive_int(out_channels, "out_channels")
    groups = positive_int(groups, "groups")
    if in_channels % groups:
        raise ValueError("in_channels (%d) must be divisible by groups (%d)"
                         % (in_channels, groups))
    if out_channels % groups:
        raise ValueError("out_channels (%d) must be divisible by groups (%d)"
                         % (out_channels, groups))
    return in_channels, out_channels, groups
