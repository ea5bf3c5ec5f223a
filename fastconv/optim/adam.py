"""Adam (and AMSGrad) with L2 or decoupled weight decay and torch's bias correction."""
import math
from typing import Any, Callable, Optional, Tuple

from ._elementwise import addcmul_, lerp_
from .optimizer import (Optimizer, ParamsT, _array_module, check_betas, check_nonnegative,
                        torch_flags)


class Adam(Optimizer):
    """Adam (Kingma & Ba), updating param.data in place exactly as torch.optim.Adam:

        p = p * (1 - lr * weight_decay)         with decoupled_weight_decay (AdamW), else
        g = grad + weight_decay * p
        m = m + (1 - beta1) * (g - m);  v = beta2 * v + (1 - beta2) * g * g
        v_hat = max(v_hat, v) with amsgrad, else v
        p = p - (lr / (1 - beta1^t)) * m / (sqrt(v_hat) / sqrt(1 - beta2^t) + eps)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *,
                 foreach: Optional[bool] = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False,
                 fused: Optional[bool] = None, decoupled_weight_decay: bool = False) -> None:
        check_nonnegative("learning rate", "lr", lr)
        check_nonnegative("epsilon value", "eps", eps)
        betas = check_betas(betas)
        check_nonnegative("weight_decay value", "weight_decay", weight_decay)
        flags = torch_flags(("foreach", "capturable", "differentiable", "fused"),
                            foreach=foreach, capturable=capturable,
                            differentiable=differentiable, fused=fused)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=bool(decoupled_weight_decay),
                                      **flags))

    def step(self, closure: Optional[Callable[[], Any]] = None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
            decoupled, amsgrad = group["decoupled_weight_decay"], group["amsgrad"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad._data
                if group["maximize"]:
                    g = -g
                state = self.state.setdefault(p, {})
                if not state:
                    xp = _array_module(p._data)
                    state["step"] = 0.0
                    state["exp_avg"] = xp.zeros_like(p._data)
                    state["exp_avg_sq"] = xp.zeros_like(p._data)
                    if amsgrad:
                        state["max_exp_avg_sq"] = xp.zeros_like(p._data)
                state["step"] += 1
                step = state["step"]
                if weight_decay != 0:
                    if decoupled:
                        p._data *= 1 - lr * weight_decay
                    else:
                        g = g + weight_decay * p._data
                # the formulas above, evaluated in torch's order into two reused
                # scratch arrays t and d instead of fresh temporaries
                xp = _array_module(g)
                t, d = self._scratch(p, g, 0), self._scratch(p, g, 1)
                m, v = state["exp_avg"], state["exp_avg_sq"]
                lerp_(m, g, 1 - beta1, work=t)
                v *= beta2
                addcmul_(v, g, g, 1 - beta2, work=t)
                if amsgrad:
                    v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                step_size = lr / (1 - beta1 ** step)
                denom = xp.sqrt(v, out=d)
                denom /= math.sqrt(1 - beta2 ** step)
                denom += eps
                p._data += xp.divide(xp.multiply(m, -step_size, out=t), denom, out=t)
        return loss
