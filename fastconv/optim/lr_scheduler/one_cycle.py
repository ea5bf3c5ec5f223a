"""OneCycleLR: the 1cycle policy (Smith & Topin): warm up to max_lr, anneal far below the
start, with momentum (or Adam's beta1) cycled the opposite way."""
import math
from typing import List, Optional, Union

from ..optimizer import Optimizer
from .base import LRScheduler, check_optimizer, per_group

Floats = Union[float, List[float]]


def _anneal_cos(start: float, end: float, pct: float) -> float:
    """From start (pct 0) to end (pct 1) along half a cosine."""
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def _anneal_linear(start: float, end: float, pct: float) -> float:
    return (end - start) * pct + start


class OneCycleLR(LRScheduler):
    """Per step (call step() after every batch), in two phases (or three with
    three_phase=True), each annealing between the group keys named in its row:

        phase               ends at step                       lr                 momentum
        warm-up             pct_start * total - 1              initial -> max     max -> base
        (three_phase only)  2 * pct_start * total - 2          max -> initial     base -> max
        anneal              total - 1                          -> min             -> max

    with initial_lr = max_lr / div_factor and min_lr = initial_lr / final_div_factor.
    total_steps, or epochs * steps_per_epoch, is the number of step() calls; one more
    raises. With cycle_momentum the optimizer's momentum (SGD, RMSprop) or betas[0]
    (Adam) moves between base_momentum and max_momentum.
    """

    def __init__(self, optimizer: Optimizer, max_lr: Floats,
                 total_steps: Optional[int] = None, epochs: Optional[int] = None,
                 steps_per_epoch: Optional[int] = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: Floats = 0.85, max_momentum: Floats = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1) -> None:
        self.optimizer = check_optimizer(optimizer)
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        total = self.total_steps
        if three_phase:
            rows = [(float(pct_start * total) - 1, "initial_lr", "max_lr",
                     "max_momentum", "base_momentum"),
                    (float(2 * pct_start * total) - 2, "max_lr", "initial_lr",
                     "base_momentum", "max_momentum"),
                    (total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            rows = [(float(pct_start * total) - 1, "initial_lr", "max_lr",
                     "max_momentum", "base_momentum"),
                    (total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        self._schedule_phases = [dict(end_step=end, start_lr=a, end_lr=b, start_momentum=c,
                                      end_momentum=d) for end, a, b, c, d in rows]
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError("Expected float between 0 and 1 pct_start, but got %r"
                             % (pct_start,))
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             "%r" % (anneal_strategy,))
        self._anneal_func_type = anneal_strategy
        for name, value in (("div_factor", div_factor), ("final_div_factor",
                                                          final_div_factor)):
            if not value > 0:
                raise ValueError("%s must be > 0, got %r" % (name, value))
        max_lrs = per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("optimizer must support momentum or beta1 with "
                                 "`cycle_momentum` option enabled")
            self.use_beta1 = "betas" in optimizer.defaults
            tops = per_group("max_momentum", optimizer, max_momentum)
            bases = per_group("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for group, top, base in zip(optimizer.param_groups, tops, bases):
                    self._set_momentum(group, top)
                    group["max_momentum"] = top
                    group["base_momentum"] = base
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group, value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value,) + tuple(group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return _anneal_cos(start, end, pct)
        return _anneal_linear(start, end, pct)

    def get_lr(self) -> List[float]:
        self._warn_if_called_outside_step()
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError("Tried to step %d times. The specified number of total steps "
                             "is %d" % (step, self.total_steps))
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step <= end_step or i == last:
                    pct = (step - start_step) / (end_step - start_step)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]],
                                            pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(
                            group[phase["start_momentum"]], group[phase["end_momentum"]],
                            pct))
                    break
                start_step = end_step
        return lrs


def _total_steps(total_steps, epochs, steps_per_epoch) -> int:
    """total_steps, or epochs * steps_per_epoch; a ValueError naming what is missing."""
    def positive_int(name, value):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError("Expected positive integer %s, but got %r" % (name, value))
        return value
    if total_steps is not None:
        return positive_int("total_steps", total_steps)
    if epochs is not None and steps_per_epoch is not None:
        return positive_int("epochs", epochs) * positive_int("steps_per_epoch",
                                                             steps_per_epoch)
    raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch); "
                     "got total_steps=%r, epochs=%r, steps_per_epoch=%r"
                     % (total_steps, epochs, steps_per_epoch))
