"""LRScheduler: the base of the learning-rate schedulers, with torch 2.x's protocol.

A scheduler writes each param group's "lr" on every step(): at construction (step 0,
recording "initial_lr" in the groups and base_lrs), then once per step() call, which
belongs after optimizer.step(). Most schedulers are chainable: get_lr() computes the next
rate from the group's current one, so several can act on one optimizer; step(epoch)
(deprecated in torch) jumps with the closed form where the scheduler has one.
"""
import warnings
import weakref
from functools import wraps
from typing import Any, Dict, List

from ..optimizer import Optimizer

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated "
    "where possible. Please use `scheduler.step()` to step the scheduler. During the "
    "deprecation, if epoch is different from None, the closed form is used instead of "
    "the new chainable form, where available.")


def per_group(name: str, optimizer: Optimizer, value) -> List[Any]:
    """`value` for each param group: a list/tuple of one per group, or one for all."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError("%s must have the same length as optimizer.param_groups: %s "
                             "has %d values, param_groups has %d"
                             % (name, name, len(value), len(optimizer.param_groups)))
        return list(value)
    return [value] * len(optimizer.param_groups)


def group_values(optimizer: Optimizer, key: str) -> List[Any]:
    """group[key] of every param group, in order."""
    return [group[key] for group in optimizer.param_groups]


def check_optimizer(optimizer) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError("%s is not an Optimizer" % type(optimizer).__name__)
    return optimizer


def check_nonnegative(name: str, value) -> None:
    if not value >= 0:
        raise ValueError("%s must be >= 0, got %r" % (name, value))


def check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError("%s must be a positive integer, got %r" % (name, value))
    return value


def check_increasing(name: str, values, strict: bool) -> List[int]:
    """A list of ints, each greater than (or, unless strict, equal to) the one before."""
    values = list(values)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError("%s must be integers, got %r" % (name, values))
    for before, after in zip(values, values[1:]):
        if after < before or (strict and after == before):
            rule = "increasing" if strict else "increasing (repeats allowed)"
            raise ValueError("%s must be %s, got %r" % (name, rule, values))
    return values


def _track_optimizer_steps(scheduler: "LRScheduler") -> None:
    """Wrap optimizer.step once so it records that it ran (optimizer._opt_called), for
    the warning when the scheduler's first step() comes before the optimizer's."""
    opt = scheduler.optimizer
    if hasattr(opt.step, "_wrapped_by_lr_sched"):
        return
    bound = opt.step
    method = getattr(bound, "__func__", None)   # None: step was replaced by a function
    opt_ref = weakref.ref(opt)

    @wraps(method or bound)
    def step(*args, **kwargs):
        owner = opt_ref()
        owner._opt_called = True
        return method(owner, *args, **kwargs) if method is not None else bound(*args,
                                                                               **kwargs)

    step._wrapped_by_lr_sched = True
    opt.step = step


class LRScheduler:
    """Base class of schedulers: subclasses implement get_lr() (and may override step()).

    optimizer: the Optimizer whose param groups' "lr" it sets.
    last_epoch: index of the last epoch seen; -1 (default) starts a schedule. Another
    value resumes one, and needs "initial_lr" in every param group (as a loaded
    optimizer state dict has).
    """

    _get_lr_called_within_step: bool = False
    _is_initial: bool = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        self.optimizer = check_optimizer(optimizer)
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError("param 'initial_lr' is not specified in param_groups[%d] "
                                   "when resuming a scheduler with last_epoch=%r >= 0: "
                                   "load the optimizer's state dict first" % (i, last_epoch))
        self.base_lrs: List[float] = group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        _track_optimizer_steps(self)
        self._initial_step()

    def _initial_step(self) -> None:
        """Step 0: set the schedule's first rates."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    # ---------------------------------------------------------------- state
    def state_dict(self) -> Dict[str, Any]:
        """Every attribute but the optimizer, as torch's schedulers save themselves."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore attributes saved by state_dict()."""
        self.__dict__.update(state_dict)

    # ---------------------------------------------------------------- rates
    def get_last_lr(self) -> List[float]:
        """The rates this scheduler set last, one per param group."""
        return self._last_lr

    def get_lr(self) -> List[float]:
        """The next rate of each param group (called by step(); subclasses define it)."""
        raise NotImplementedError

    def _warn_if_called_outside_step(self) -> None:
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please "
                          "use `get_last_lr()`.", UserWarning, stacklevel=3)

    def step(self, epoch=None) -> None:
        """Advance the schedule one step (call it after optimizer.step()); `epoch`
        (deprecated) jumps to that epoch with the closed form where there is one."""
        if self._step_count == 1:
            if not hasattr(self.optimizer.step, "_wrapped_by_lr_sched"):
                warnings.warn("Seems like `optimizer.step()` has been overridden after "
                              "learning rate scheduler initialization. Please, make sure to "
                              "call `optimizer.step()` before `lr_scheduler.step()`.",
                              UserWarning, stacklevel=2)
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn("Detected call of `lr_scheduler.step()` before "
                              "`optimizer.step()`. You should call them in the opposite "
                              "order: `optimizer.step()` before `lr_scheduler.step()`. "
                              "Failure to do this will result in skipping the first value "
                              "of the learning rate schedule.", UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None) -> None:
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        if len(values) != len(self.optimizer.param_groups):
            raise RuntimeError("%s computed %d learning rates for %d param groups"
                               % (type(self).__name__, len(values),
                                  len(self.optimizer.param_groups)))
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = group_values(self.optimizer, "lr")


class _LRScheduler(LRScheduler):
    """The old name of LRScheduler, kept as torch keeps it."""
