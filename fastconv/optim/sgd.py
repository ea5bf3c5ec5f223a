"""SGD with momentum, dampening, Nesterov momentum and L2 weight decay (torch's rule)."""
from typing import Any, Callable, Optional

import numpy as np

from .. import _cpu
from .optimizer import Optimizer, ParamsT, _array_module

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class SGD(Optimizer):
    """Stochastic gradient descent, updating param.data in place exactly as torch.optim.SGD:

        g = grad + weight_decay * p
        b = g (first step) or momentum * b + (1 - dampening) * g
        g = g + momentum * b (nesterov) or b
        p = p - lr * g
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 *, maximize: bool = False) -> None:
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
                                      maximize=maximize))

    def step(self, closure: Optional[Callable[[], Any]] = None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, momentum = group["lr"], group["momentum"]
            dampening, weight_decay = group["dampening"], group["weight_decay"]
            nesterov, maximize = group["nesterov"], group["maximize"]
            native = _plain_rule(group)
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                g = grad.data
                if native and self._native_update(p, g, lr, momentum):
                    continue
                if maximize:
                    g = -g
                if weight_decay != 0:
                    g = g + weight_decay * p.data
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
                p.data -= xp.multiply(g, lr, out=self._scratch(p, g))
        return loss

    def _native_update(self, p, g, lr, momentum) -> bool:
        """The plain momentum rule in one native pass over numpy arrays, rounding exactly
        as the numpy code of step(); False (nothing done) for anything else."""
        data = p.data
        if (type(data) is not np.ndarray or type(g) is not np.ndarray
                or data.dtype not in _FLOATS or g.dtype != data.dtype
                or not (data.flags.c_contiguous and g.flags.c_contiguous)
                or not data.flags.writeable or data.shape != g.shape):
            return False
        if momentum == 0:
            _cpu.sgd_update(data, g, None, lr, 0.0, False)
            return True
        state = self.state.get(p)
        if state is None:
            state = self.state[p] = {}
        buf = state.get("momentum_buffer")
        first = buf is None
        if first:
            buf = state["momentum_buffer"] = np.empty_like(g)
        elif (type(buf) is not np.ndarray or buf.dtype != g.dtype or buf.shape != g.shape
              or not buf.flags.c_contiguous):
            return False
        _cpu.sgd_update(data, g, buf, lr, momentum, first)
        return True


def _plain_rule(group) -> bool:
    """True for groups whose update is buf = momentum * buf + g; p -= lr * buf (or plain
    p -= lr * g) with Python-number hyper-parameters, which numpy rounds in the
    parameters' dtype: what the native update reproduces bit for bit."""
    return (type(group["lr"]) in (float, int) and type(group["momentum"]) in (float, int)
            and group["dampening"] == 0 and group["weight_decay"] == 0
            and not group["nesterov"] and not group["maximize"])
