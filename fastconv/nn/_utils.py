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
