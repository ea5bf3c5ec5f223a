"""Module-level forms of Tensor methods that have no function of their own elsewhere:
fastconv.exp(x) is x.exp(), with a TypeError naming the function for a non-Tensor."""
from .tensor_base import TensorBase


def _functional(name, doc):
    def function(input, *args, **kwargs):
        if not isinstance(input, TensorBase):
            raise TypeError("%s: expected a Tensor, got %s" % (name, type(input).__name__))
        return getattr(input, name)(*args, **kwargs)
    function.__name__, function.__qualname__, function.__doc__ = name, name, doc
    return function


exp = _functional("exp", "Elementwise e ** x.")
log = _functional("log", "Elementwise natural logarithm.")
sqrt = _functional("sqrt", "Elementwise square root.")
tanh = _functional("tanh", "Elementwise hyperbolic tangent.")
sigmoid = _functional("sigmoid", "Elementwise 1 / (1 + exp(-x)).")
abs = _functional("abs", "Elementwise absolute value.")
