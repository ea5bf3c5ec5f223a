"""In-place array updates shared by the optimizers, each rounding as the torch op it
stands for (same operation order, one rounding per operation), writing through a
caller's scratch array `work` so that a step allocates nothing."""
from .optimizer import _array_module


def lerp_(start, end, weight: float, work) -> None:
    """start += weight * (end - start) in place, in the two forms torch.lerp uses (the
    second one for weight >= 0.5 keeps the result exact at weight = 1)."""
    xp = _array_module(start)
    diff = xp.subtract(end, start, out=work)
    if weight < 0.5:
        start += xp.multiply(diff, weight, out=diff)
    else:
        xp.subtract(end, xp.multiply(diff, 1 - weight, out=diff), out=start)


def addcmul_(target, a, b, value: float, work) -> None:
    """target += value * a * b, evaluated as (value * a) * b (torch.addcmul_)."""
    xp = _array_module(target)
    target += xp.multiply(xp.multiply(a, value, out=work), b, out=work)


def addcdiv_(target, a, b, value: float, work) -> None:
    """target += value * a / b, evaluated as (value * a) / b (torch.addcdiv_)."""
    xp = _array_module(target)
    target += xp.divide(xp.multiply(a, value, out=work), b, out=work)
