"""SGD with momentum, dampening, Nesterov momentum and L2 weight decay (torch's rule)."""
from typing import Any, Callable, Optional

from .. import ops
from .optimizer import Optimizer, ParamsT, _array_module, torch_flags


class SGD(Optimizer):
    """Stochastic gradient descent, updating param.data in place exactly as torch.optim.SGD:

        g = grad + weight_decay * p
        b = g (first step) or momentum * b + (1 - dampening) * g
        g = g + momentum * b (nesterov) or b
        p = p - lr * g

    The plain rule (no dampening, weight decay, Nesterov or maximize) runs as one
    fastconv.ops.sgd_update per parameter: native on numpy arrays, its generic body on
    others, rounding as the array expressions below do.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 *, maximize: bool = False, foreach: Optional[bool] = None,
                 differentiable: bool = False, fused: Optional[bool] = None) -> None:
        if lr < 0.0:
            raise ValueError("Invalid learning rate: lr=%r (must be >= 0)" % (lr,))
        if momentum < 0.0:
            raise ValueError("Invalid momentum value: momentum=%r (must be >= 0)"
                             % (momentum,))
        if weight_decay < 0.0:
            raise ValueError("Invalid weight_decay value: weight_decay=%r (must be >= 0)"
                             % (weight_decay,))
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize,
                                      **torch_flags(("foreach", "differentiable", "fused"),
                                                    foreach=foreach, fused=fused,
                                                    differentiable=differentiable)))

    def step(self, closure: Optional[Callable[[], Any]] = None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, momentum = group["lr"], group["momentum"]
            dampening, weight_decay = group["dampening"], group["weight_decay"]
            nesterov, maximize = group["nesterov"], group["maximize"]
            plain = _plain_rule(group)
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                g = grad._data
                if plain and self._plain_update(p, g, lr, momentum):
                    continue
                if maximize:
                    g = -g
                if weight_decay != 0:
                    g = g + weight_decay * p._data
                xp = _array_module(g)
                if momentum != 0:
                    state = self.state.get(p)
                    if state is None:
                        state = self.state[p] = {}
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = g.copy()
                    else:
                        buf *= momentum
                        if dampening == 0:
                            buf += g   # (1 - 0) * g is g exactly: skip the product
                        else:
                            buf += xp.multiply(g, 1 - dampening, out=self._scratch(p, g))
                    g = g + momentum * buf if nesterov else buf
                # p -= lr * g, with the product in a reused scratch array
                p._data -= xp.multiply(g, lr, out=self._scratch(p, g))
        return loss

    def _plain_update(self, p, g, lr, momentum) -> bool:
        """The plain momentum rule as one fastconv.ops.sgd_update; False (nothing done)
        where the in-place kernel refuses the arrays (a parameter that is a
        non-contiguous view, a gradient of another dtype, ...), which then take the
        array expressions of step()."""
        data = p._data
        try:
            if momentum == 0:
                ops.sgd_update(data, g, lr=lr)
                return True
            state = self.state.get(p)
            buf = None if state is None else state.get("momentum_buffer")
            if buf is None:   # first step: the kernel copies g into a new buffer
                buf = _array_module(data).empty_like(data)
                ops.sgd_update(data, g, buf, lr=lr, momentum=momentum, first=True)
                self.state.setdefault(p, {})["momentum_buffer"] = buf
            else:
                ops.sgd_update(data, g, buf, lr=lr, momentum=momentum)
        except (TypeError, ValueError):   # raised by the checks, before any write
            return False
        return True


def _plain_rule(group) -> bool:
    """True for groups whose update is buf = momentum * buf + g; p -= lr * buf (or plain
    p -= lr * g) with Python-number hyper-parameters, which numpy rounds in the
    parameters' dtype: what fastconv.ops.sgd_update reproduces bit for bit."""
    return (type(group["lr"]) in (float, int) and type(group["momentum"]) in (float, int)
            and group["dampening"] == 0 and group["weight_decay"] == 0
            and not group["nesterov"] and not group["maximize"])

