"""Adadelta: steps whose size is the ratio of two running root mean squares (of past
updates and of gradients), with L2 weight decay, as torch.optim.Adadelta."""
from typing import Any, Callable, Optional

from ._elementwise import addcmul_
from .optimizer import Optimizer, ParamsT, _array_module, check_nonnegative, torch_flags


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012), updating param.data in place as torch.optim.Adadelta:

        g = grad + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        d = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * d * d
        p = p - lr * d
    """

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0,
                 foreach: Optional[bool] = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        check_nonnegative("learning rate", "lr", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError("Invalid rho value: %r (must be in [0, 1])" % (rho,))
        check_nonnegative("epsilon value", "eps", eps)
        check_nonnegative("weight_decay value", "weight_decay", weight_decay)
        flags = torch_flags(("foreach", "capturable", "differentiable"), foreach=foreach,
                            capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, **flags))

    def step(self, closure: Optional[Callable[[], Any]] = None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, rho, eps = group["lr"], group["rho"], group["eps"]
            weight_decay = group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad._data
                if group["maximize"]:
                    g = -g
                xp = _array_module(p._data)
                state = self.state.setdefault(p, {})
                if not state:
                    state["step"] = 0.0
                    state["square_avg"] = xp.zeros_like(p._data)
                    state["acc_delta"] = xp.zeros_like(p._data)
                state["step"] += 1
                if weight_decay != 0:
                    g = g + weight_decay * p._data
                square_avg, acc_delta = state["square_avg"], state["acc_delta"]
                t, std = self._scratch(p, g, 0), self._scratch(p, g, 1)
                delta = self._scratch(p, g, 2)
                square_avg *= rho
                addcmul_(square_avg, g, g, 1 - rho, work=t)
                xp.sqrt(xp.add(square_avg, eps, out=std), out=std)
                xp.sqrt(xp.add(acc_delta, eps, out=delta), out=delta)
                delta /= std
                delta *= g
                acc_delta *= rho
                addcmul_(acc_delta, delta, delta, 1 - rho, work=t)
                p._data -= xp.multiply(delta, lr, out=t) if lr != 1 else delta
        return loss
