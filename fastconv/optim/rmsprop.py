"""RMSprop: the gradient scaled by a running root mean square (optionally centered),
with heavy-ball momentum and L2 weight decay, as torch.optim.RMSprop."""
from typing import Any, Callable, Optional

from ._elementwise import addcdiv_, addcmul_, lerp_
from .optimizer import Optimizer, ParamsT, _array_module, check_nonnegative, torch_flags


class RMSprop(Optimizer):
    """RMSprop (Hinton, lecture 6e), updating param.data in place as torch.optim.RMSprop:

        g = grad + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        c = c + (1 - alpha) * (g - c);  avg = sqrt(v - c * c) + eps    (centered)
        avg = sqrt(v) + eps                                              (otherwise)
        b = momentum * b + g / avg;  p = p - lr * b                      (momentum > 0)
        p = p - lr * g / avg                                             (otherwise)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, capturable: bool = False,
                 foreach: Optional[bool] = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_nonnegative("learning rate", "lr", lr)
        check_nonnegative("epsilon value", "eps", eps)
        check_nonnegative("momentum value", "momentum", momentum)
        check_nonnegative("weight_decay value", "weight_decay", weight_decay)
        check_nonnegative("alpha value", "alpha", alpha)
        flags = torch_flags(("capturable", "foreach", "differentiable"), foreach=foreach,
                            capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      maximize=maximize, **flags))

    def step(self, closure: Optional[Callable[[], Any]] = None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            weight_decay, momentum = group["weight_decay"], group["momentum"]
            centered = group["centered"]
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
                    state["square_avg"] = xp.zeros_like(p._data)
                    if momentum > 0:
                        state["momentum_buffer"] = xp.zeros_like(p._data)
                    if centered:
                        state["grad_avg"] = xp.zeros_like(p._data)
                state["step"] += 1
                if weight_decay != 0:
                    g = g + weight_decay * p._data
                xp = _array_module(g)
                t, avg = self._scratch(p, g, 0), self._scratch(p, g, 1)
                square_avg = state["square_avg"]
                square_avg *= alpha
                addcmul_(square_avg, g, g, 1 - alpha, work=t)
                if centered:
                    grad_avg = state["grad_avg"]
                    lerp_(grad_avg, g, 1 - alpha, work=t)
                    xp.subtract(square_avg, xp.multiply(grad_avg, grad_avg, out=avg),
                                out=avg)
                    xp.sqrt(avg, out=avg)
                else:
                    xp.sqrt(square_avg, out=avg)
                avg += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    buf *= momentum
                    buf += xp.divide(g, avg, out=t)
                    p._data += xp.multiply(buf, -lr, out=t)
                else:
                    addcdiv_(p._data, g, avg, -lr, work=t)
        return loss
