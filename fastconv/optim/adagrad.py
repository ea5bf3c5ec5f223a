"""Adagrad: per-coordinate steps scaled by the root of the summed squared gradients,
with learning-rate decay and L2 weight decay, as torch.optim.Adagrad."""
from typing import Any, Callable, Optional

from ._elementwise import addcdiv_, addcmul_
from .optimizer import Optimizer, ParamsT, _array_module, check_nonnegative, torch_flags


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer), updating param.data in place as torch.optim.Adagrad:

        g = grad + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g          (s starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)

    As in torch, the state (step 0 and the sum) of every parameter exists from the start.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, foreach: Optional[bool] = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 fused: Optional[bool] = None) -> None:
        check_nonnegative("learning rate", "lr", lr)
        check_nonnegative("lr_decay value", "lr_decay", lr_decay)
        check_nonnegative("weight_decay value", "weight_decay", weight_decay)
        check_nonnegative("initial_accumulator_value value", "initial_accumulator_value",
                          initial_accumulator_value)
        check_nonnegative("epsilon value", "eps", eps)
        flags = torch_flags(("foreach", "differentiable", "fused"), foreach=foreach,
                            differentiable=differentiable, fused=fused)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      maximize=maximize, **flags))
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group) -> dict:
        state = self.state.setdefault(p, {})
        if not state:
            xp = _array_module(p._data)
            state["step"] = 0.0
            state["sum"] = xp.full_like(p._data, group["initial_accumulator_value"])
        return state

    def step(self, closure: Optional[Callable[[], Any]] = None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            weight_decay = group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad._data
                if group["maximize"]:
                    g = -g
                state = self.state.get(p) or self._init_state(p, group)
                state["step"] += 1
                if weight_decay != 0:
                    g = g + weight_decay * p._data
                clr = lr / (1 + (state["step"] - 1) * lr_decay)
                xp = _array_module(g)
                t, std = self._scratch(p, g, 0), self._scratch(p, g, 1)
                addcmul_(state["sum"], g, g, 1, work=t)
                xp.sqrt(state["sum"], out=std)
                std += eps
                addcdiv_(p._data, g, std, -clr, work=t)
        return loss
