"""LambdaLR and MultiplicativeLR: rates from user functions of the epoch."""
import types
from typing import Any, Callable, Dict, List, Union

from ..optimizer import Optimizer
from .base import LRScheduler, group_values

LrLambda = Union[Callable[[int], float], List[Callable[[int], float]]]


def _lambdas(optimizer: Optimizer, lr_lambda: LrLambda) -> List[Callable[[int], float]]:
    """One callable per param group (one given for all, or a list of one per group)."""
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != len(optimizer.param_groups):
            raise ValueError("Expected %d lr_lambdas, but got %d"
                             % (len(optimizer.param_groups), len(lr_lambda)))
        lambdas = list(lr_lambda)
    else:
        lambdas = [lr_lambda] * len(optimizer.param_groups)
    for fn in lambdas:
        if not callable(fn):
            raise TypeError("lr_lambda should be a function, but got %s" % type(fn).__name__)
    return lambdas


class _LambdaScheduler(LRScheduler):
    """Saves callable objects' attributes in state_dict (plain functions as None), as torch
    does, since functions themselves cannot be saved."""

    def __init__(self, optimizer: Optimizer, lr_lambda: LrLambda, last_epoch: int) -> None:
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> Dict[str, Any]:
        state = {key: value for key, value in self.__dict__.items()
                 if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType)
                               else fn.__dict__.copy() for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("lr_lambdas")
        self.__dict__.update(state)
        for fn, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                fn.__dict__.update(attributes)


class LambdaLR(_LambdaScheduler):
    """lr = initial_lr * lr_lambda(epoch), per param group (lr_lambda: a function, or a
    list of one per group)."""

    def __init__(self, optimizer: Optimizer, lr_lambda: LrLambda,
                 last_epoch: int = -1) -> None:
        super().__init__(optimizer, lr_lambda, last_epoch)

    def get_lr(self) -> List[float]:
        self._warn_if_called_outside_step()
        return [base_lr * fn(self.last_epoch)
                for fn, base_lr in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaScheduler):
    """lr = lr * lr_lambda(epoch) on every step after the first (chainable)."""

    def __init__(self, optimizer: Optimizer, lr_lambda: LrLambda,
                 last_epoch: int = -1) -> None:
        super().__init__(optimizer, lr_lambda, last_epoch)

    def get_lr(self) -> List[float]:
        self._warn_if_called_outside_step()
        if self._is_initial:
            return group_values(self.optimizer, "lr")
        return [group["lr"] * fn(self.last_epoch)
                for fn, group in zip(self.lr_lambdas, self.optimizer.param_groups)]
