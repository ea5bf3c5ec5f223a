"""Optimizer: parameter groups, per-parameter state, zero_grad and state_dict."""
import copy
import functools
import warnings
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from .._xp import array_module as _array_module  # noqa: F401  (used by the optimizers)
from ..autograd import Tensor, increment_version

ParamsT = Union[Iterable[Tensor], Iterable[Dict[str, Any]]]


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def check_nonnegative(label: str, name: str, value: float) -> None:
    """ValueError naming the argument unless value >= 0 (NaN included)."""
    if not value >= 0.0:
        raise ValueError("Invalid %s: %s=%r (must be >= 0)" % (label, name, value))


def check_betas(betas) -> Tuple[float, float]:
    """Adam's (beta1, beta2), each in [0, 1), as a tuple."""
    if len(betas) != 2:
        raise ValueError("betas must be a pair (beta1, beta2), got %r" % (betas,))
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError("Invalid beta parameter at index %d: %r (must be in [0, 1))"
                             % (i, beta))
    return tuple(betas)


def torch_flags(names: Tuple[str, ...], foreach: Optional[bool] = None,
                capturable: bool = False, differentiable: bool = False,
                fused: Optional[bool] = None) -> Dict[str, Any]:
    """torch's implementation switches `names`, for the param groups under torch's names.
    foreach and fused only choose how torch loops, so they are accepted and change
    nothing here; capturable (CUDA graphs) and differentiable (updates recorded on the
    autograd tape) are not supported and raise a ValueError naming them."""
    if capturable:
        raise ValueError("capturable=True is not supported: fastconv's optimizers do not "
                         "run inside CUDA graphs")
    if differentiable:
        raise ValueError("differentiable=True is not supported: fastconv's optimizers "
                         "update parameters outside the autograd tape")
    values = dict(foreach=foreach, capturable=False, differentiable=False, fused=fused)
    return {name: values[name] for name in names}


class Optimizer:
    """Base class: holds param_groups (dicts with 'params' and hyper-parameters) and
    state (per-parameter dicts of arrays). Subclasses implement step()."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _counts_as_in_place(cls.__dict__["step"])

    def __init__(self, params: ParamsT, defaults: Dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: Dict[Tensor, Dict[str, Any]] = {}
        self._work: Dict[Any, Any] = {}   # scratch arrays for step(), not part of state
        self.param_groups: List[Dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable "
                            "of Tensors or dicts, but got a Tensor")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (others from defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError("param_group must be a dict, got %s" % type(param_group).__name__)
        params = param_group.get("params")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered "
                            "collections, but the ordering of tensors in sets changes "
                            "between runs; use a list instead")
        elif params is None:
            raise ValueError("param_group must have a 'params' entry")
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params "
                                "is %s" % type(p).__name__)
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error", stacklevel=3)
        group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError("parameter group didn't specify a value of required "
                                 "optimization parameter %s" % name)
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's .grad (or zero it in place when set_to_none=False)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._data[...] = 0

    def step(self, closure: Optional[Callable[[], Any]] = None):
        raise NotImplementedError

    def _scratch(self, param: Tensor, like, slot: int = 0):
        """A work array shaped like `like`, kept per (param, slot) across steps so that an
        update needs no temporary arrays; its contents are whatever was left in it."""
        key = (id(param), slot)   # ids of live params are unique; contents are scratch
        work = self._work.get(key)
        if (work is None or type(work) is not type(like) or work.shape != like.shape
                or work.dtype != like.dtype):
            work = self._work[key] = _array_module(like).empty_like(like)
        return work

    def _closure_loss(self, closure: Optional[Callable[[], Any]]):
        """Run the closure (re-evaluating the loss with grad enabled), if any."""
        if closure is None:
            return None
        from ..autograd import enable_grad
        with enable_grad():
            return closure()

    # ---------------------------------------------------------------- state_dict
    def state_dict(self) -> Dict[str, Any]:
        """{'state': {index: {name: array copy or number}}, 'param_groups': [...]}, with
        parameters referred to by their position across all groups, as torch does."""
        index: Dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: {k: _copy(v) for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore hyper-parameters and state saved by state_dict() for the same layout
        (torch's optimizer state dicts load too: tensors become arrays on each
        parameter's device and dtype, the step count a Python float)."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(s["params"]) != len(g["params"])
               for s, g in zip(saved_groups, self.param_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't "
                             "match the size of optimizer's group")
        by_index = {}
        for saved, group in zip(saved_groups, self.param_groups):
            for i, p in zip(saved["params"], group["params"]):
                by_index[i] = p
        self.state = {}
        for i, s in state_dict["state"].items():
            p = by_index[int(i)]
            self.state[p] = {k: float(v) if k == "step" else _like(v, p)
                             for k, v in s.items()}
        for saved, group in zip(saved_groups, self.param_groups):
            group.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += "\nParameter Group %d" % i
            for key in sorted(k for k in group if k != "params"):
                text += "\n    %s: %s" % (key, group[key])
        return text + "\n)"


def _counts_as_in_place(step):
    """step() counted as an in-place change of every parameter with a gradient, as torch's
    in-place updates are: a backward() through a graph recorded before the step then
    raises instead of silently using the updated values."""
    @functools.wraps(step)
    def counted(self, *args, **kwargs):
        try:
            return step(self, *args, **kwargs)
        finally:
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        increment_version(p)
    return counted


def _copy(value):
    return value.copy() if hasattr(value, "copy") and hasattr(value, "shape") else value


def _like(value, param: Tensor):
    """A saved state value as an array on param's device (floating ones in param's dtype)."""
    if isinstance(value, Tensor):
        value = value._data
    if not (hasattr(value, "shape") and hasattr(value, "dtype")):
        return value
    moved = Tensor(value).to(param.device)._data
    if moved.dtype.kind == "f":
        moved = moved.astype(param.dtype)
    return moved.copy()
