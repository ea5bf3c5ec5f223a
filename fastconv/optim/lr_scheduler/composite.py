"""SequentialLR and ChainedScheduler: schedulers of one optimizer run one after another
(at milestones) or all on every step."""
from bisect import bisect_right
from typing import Any, Dict, List, Optional, Sequence

from ..optimizer import Optimizer
from .base import LRScheduler, check_increasing, check_optimizer, group_values
from .plateau import ReduceLROnPlateau


def _check_members(owner: str, optimizer: Optimizer, schedulers) -> list:
    schedulers = list(schedulers)
    if not schedulers:
        raise ValueError("%s expects at least one scheduler, but got none" % owner)
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError("%s at index %d should have `optimizer` as its attribute"
                            % (owner, i))
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError("%s does not support `ReduceLROnPlateau` scheduler as it "
                             "requires a metric when calling `step`, but got one at index "
                             "%d in schedulers" % (owner, i))
        if scheduler.optimizer is not optimizer:
            raise ValueError("%s expects all schedulers to belong to the same optimizer, but "
                             "scheduler %s at index %d has another one"
                             % (owner, type(scheduler).__name__, i))
    return schedulers


class _Composite(LRScheduler):
    """state_dict holds each member's state_dict under "_schedulers"."""

    _schedulers: List[LRScheduler]

    def state_dict(self) -> Dict[str, Any]:
        state = {key: value for key, value in self.__dict__.items()
                 if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        state = dict(state_dict)
        members = state.pop("_schedulers")
        self.__dict__.update(state)
        for scheduler, saved in zip(self._schedulers, members):
            scheduler.load_state_dict(saved)


class SequentialLR(_Composite):
    """schedulers[i] runs from milestones[i - 1] (0 for the first) until milestones[i];
    each one starts its schedule from the base learning rates when its turn comes."""

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int], last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        schedulers = _check_members(type(self).__name__, optimizer, schedulers)
        milestones = check_increasing("milestones", milestones, strict=True)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("Sequential Schedulers expects number of schedulers provided to "
                             "be one more than the number of milestone points, but got "
                             "number of schedulers %d and the number of milestones to be "
                             "equal to %d" % (len(schedulers), len(milestones)))
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # the members' constructors each stepped once: start over from the base rates,
        # undo those steps, and take step 0 with the first member only
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._undo_steps(self)
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def _undo_steps(self, scheduler) -> None:
        """Take one off last_epoch of every scheduler inside (recursively)."""
        if hasattr(scheduler, "_schedulers"):
            for member in scheduler._schedulers:
                self._undo_steps(member)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1

    recursive_undo = _undo_steps   # torch's name

    def step(self) -> None:
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)   # its turn begins: epoch 0 of its closed form
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_Composite):
    """Every scheduler steps on every step(), in order, each acting on the rate the
    previous one left (for chainable schedulers)."""

    def __init__(self, schedulers: Sequence[LRScheduler],
                 optimizer: Optional[Optimizer] = None) -> None:
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError("ChainedScheduler expects at least one scheduler to be chained, "
                             "but got none")
        optimizer = optimizer or schedulers[0].optimizer
        self._schedulers = _check_members(type(self).__name__, optimizer, schedulers)
        self.optimizer = optimizer
        self._last_lr = group_values(optimizer, "lr")

    def step(self) -> None:
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = group_values(self.optimizer, "lr")
