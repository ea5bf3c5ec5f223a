"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter), torch's defaults."""
from typing import Optional, Tuple

from .adam import Adam
from .optimizer import ParamsT


class AdamW(Adam):
    """Adam whose weight decay shrinks the parameters directly, p *= 1 - lr * weight_decay,
    before the moment update, instead of adding weight_decay * p to the gradient (which
    Adam's adaptive scaling would then distort); weight_decay defaults to 1e-2. The same
    as torch.optim.AdamW, that is Adam(..., decoupled_weight_decay=True)."""

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: Optional[bool] = None,
                 capturable: bool = False, differentiable: bool = False,
                 fused: Optional[bool] = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
