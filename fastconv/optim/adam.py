"""Adam (and AMSGrad) with L2 weight decay and torch's bias correction."""
import math
from typing import Any, Callable, Optional, Tuple

import numpy as np

from .optimizer import Optimizer, ParamsT, _array_module


class Adam(Optimizer):
    """Adam (Kingma & Ba), updating param.data in place exactly as torch.optim.Adam:

        g = grad + weight_decay * p
        m = m + (1 - beta1) * (g - m);  v = beta2 * v + (1 - beta2) * g * g
        v_hat = max(v_hat, v) with amsgrad, else v
        p = p - (lr / (1 - beta1^t)) * m / (sqrt(v_hat) / sqrt(1 - beta2^t) + eps)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        if lr < 0.0:
            raise ValueError("Invalid learning rate: lr=%r (must be >= 0)" % (lr,))
        if eps < 0.0:
            raise ValueError("Invalid epsilon value: eps=%r (must be >= 0)" % (eps,))
        if len(betas) != 2:
            raise ValueError("betas must be a pair (beta1, beta2), got %r" % (betas,))
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError("Invalid beta parameter at index %d: %r (must be in [0, 1))"
                                 % (i, beta))
        if weight_decay < 0.0:
            raise ValueError("Invalid weight_decay value: weight_decay=%r (must be >= 0)"
                             % (weight_decay,))
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def step(self, closure: Optional[Callable[[], Any]] = None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.data
                if group["maximize"]:
                    g = -g
                state = self.state.setdefault(p, {})
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = np.zeros_like(p.data)
                    state["exp_avg_sq"] = np.zeros_like(p.data)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = np.zeros_like(p.data)
                state["step"] += 1
                step = float(state["step"])
                if weight_decay != 0:
                    g = g + weight_decay * p.data
                # the textbook formulas, evaluated in the same order into two reused
                # scratch arrays t and d instead of fresh temporaries
                xp = _array_module(g)
                t, d = self._scratch(p, g, 0), self._scratch(p, g, 1)
                m, v = state["exp_avg"], state["exp_avg_sq"]
                _lerp_(m, g, 1 - beta1, work=t)
                v *= beta2
                v += xp.multiply(xp.multiply(g, 1 - beta2, out=t), g, out=t)
                if group["amsgrad"]:
                    v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                step_size = lr / (1 - beta1 ** step)
                denom = xp.sqrt(v, out=d)
                denom /= math.sqrt(1 - beta2 ** step)
                denom += eps
                p.data += xp.divide(xp.multiply(m, -step_size, out=t), denom, out=t)
        return loss


def _lerp_(start, end, weight: float, work=None) -> None:
    """start += weight * (end - start) in place, in the two forms torch.lerp uses (the
    second one for weight >= 0.5 keeps the result exact at weight = 1). `work`, an array
    like start, holds the intermediate so that no temporary is allocated."""
    xp = _array_module(start)
    diff = xp.subtract(end, start, out=work)
    if weight < 0.5:
        start += xp.multiply(diff, weight, out=diff)
    else:
        xp.subtract(end, xp.multiply(diff, 1 - weight, out=diff), out=start)
