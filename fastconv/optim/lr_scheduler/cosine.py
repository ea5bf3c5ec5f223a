"""CosineAnnealingLR: the rate follows half a cosine from initial_lr down to eta_min over
T_max epochs (SGDR without restarts), in torch's recursive form."""
import math
from typing import List

from ..optimizer import Optimizer
from .base import LRScheduler, group_values


class CosineAnnealingLR(LRScheduler):
    """eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2, computed as
    torch does, recursively from the current rate (so other schedulers or the user may
    change the rate in between): each step scales lr - eta_min by the ratio of
    consecutive (1 + cos) terms; past T_max the rate climbs back along the cosine."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        if isinstance(T_max, bool) or not T_max > 0:
            raise ValueError("T_max must be a positive number of epochs, got %r" % (T_max,))
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        self._warn_if_called_outside_step()
        epoch, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return group_values(self.optimizer, "lr")
        if self._step_count == 1 and epoch > 0:   # resumed mid-schedule: closed form
            return [eta_min + (base_lr - eta_min) * (1 + math.cos(epoch * math.pi / t_max)) / 2
                    for base_lr in self.base_lrs]
        if (epoch - 1 - t_max) % (2 * t_max) == 0:   # at the minimum: the cos ratio is 0/0
            return [group["lr"] + (base_lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                    for base_lr, group in zip(self.base_lrs, groups)]
        ratio_num = 1 + math.cos(math.pi * epoch / t_max)
        ratio_den = 1 + math.cos(math.pi * (epoch - 1) / t_max)
        return [ratio_num / ratio_den * (group["lr"] - eta_min) + eta_min for group in groups]

    def _get_closed_form_lr(self) -> List[float]:
        return [self.eta_min + (base_lr - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base_lr in self.base_lrs]
