"""Module: the base class of layers, holding Parameters, buffers and sub-Modules in order."""
import warnings
from collections import OrderedDict, namedtuple
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Set, Tuple

import numpy as np

from ..autograd import Tensor, no_grad
from ..autograd.conversion import _device_name
from .parameter import Parameter
from .utils.hooks import BackwardHook, RemovableHandle

# torch's hook dicts (id -> hook, or id -> True for the flags), and _call_hook_ids, which
# holds the id of every registered hook so that __call__ tests one attribute, not four
_HOOK_STORES = ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks",
                "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                "_backward_hooks", "_backward_pre_hooks", "_call_hook_ids")

_IncompatibleKeysBase = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class _IncompatibleKeys(_IncompatibleKeysBase):
    """What load_state_dict returns: keys the model expected but did not get, and extras."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class Module:
    """Base class of layers: assigning a Parameter, Module or buffer to an attribute
    registers it, in assignment order, for parameters(), state_dict() and friends."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        for store in _HOOK_STORES:
            object.__setattr__(self, store, OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError("%s must define forward()" % type(self).__name__)

    def __call__(self, *args, **kwargs):
        if self._call_hook_ids:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _has_call_hooks(self) -> bool:
        """True when calling this module runs hooks, so that a caller that would skip
        its __call__ (a fused path) must not."""
        return bool(self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
                    or self._backward_pre_hooks)

    # ---------------------------------------------------------------- hooks
    def _call_with_hooks(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]):
        """forward with the hooks around it, in torch's order: forward pre-hooks, the
        inputs joined for backward hooks, forward, forward hooks, the outputs joined.
        Forward hooks registered with always_call run even when forward raises."""
        result = None
        called = set()
        try:
            for hook_id, hook in list(self._forward_pre_hooks.items()):
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    new = hook(self, args, kwargs)
                    if new is not None:
                        if not (isinstance(new, tuple) and len(new) == 2):
                            raise RuntimeError("forward pre-hook must return None or a tuple "
                                               "of (new_args, new_kwargs), but got %r."
                                               % (new,))
                        args, kwargs = new
                else:
                    new = hook(self, args)
                    if new is not None:
                        args = new if isinstance(new, tuple) else (new,)
            backward_hook = None
            if self._backward_hooks or self._backward_pre_hooks:
                backward_hook = BackwardHook(self, list(self._backward_hooks.values()),
                                             list(self._backward_pre_hooks.values()))
                args = backward_hook.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called:
                    called.add(hook_id)
                new = self._run_forward_hook(hook_id, hook, args, kwargs, result)
                if new is not None:
                    result = new
            if backward_hook is not None:
                result = backward_hook.setup_output_hook(result)
            return result
        except Exception:
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called and hook_id not in called:
                    try:
                        new = self._run_forward_hook(hook_id, hook, args, kwargs, result)
                        if new is not None:
                            result = new
                    except Exception as exc:
                        warnings.warn("module forward hook with ``always_call=True`` raised "
                                      "an exception that was silenced as another error was "
                                      "raised in forward: %s" % exc, stacklevel=2)
            raise

    def _run_forward_hook(self, hook_id, hook, args, kwargs, result):
        if hook_id in self._forward_hooks_with_kwargs:
            return hook(self, args, kwargs, result)
        return hook(self, args, result)

    def _add_hook(self, store: "OrderedDict[int, Any]", hook: Callable, prepend: bool,
                  flags: Tuple[Tuple["OrderedDict[int, Any]", bool], ...] = ()
                  ) -> RemovableHandle:
        """Put hook into store (first when prepend) under a new handle's id, and that id
        into each flag dict whose condition holds; the handle removes it from all."""
        if not callable(hook):
            raise TypeError("hook must be callable, got %s" % type(hook).__name__)
        handle = RemovableHandle(store, extra_dict=[d for d, _ in flags]
                                 + [self._call_hook_ids])
        store[handle.id] = hook
        self._call_hook_ids[handle.id] = True
        for flag_dict, on in flags:
            if on:
                flag_dict[handle.id] = True
        if prepend:
            store.move_to_end(handle.id, last=False)
        return handle

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """hook(module, args) -> None or new args (a non-tuple is wrapped in one), run
        before forward; with_kwargs: hook(module, args, kwargs) -> None or (args,
        kwargs). prepend runs it before the hooks already registered."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend,
                              ((self._forward_pre_hooks_with_kwargs, with_kwargs),))

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """hook(module, args, output) -> None or a new output, run after forward;
        with_kwargs: hook(module, args, kwargs, output). always_call runs it even when
        forward raises (with output None)."""
        return self._add_hook(self._forward_hooks, hook, prepend,
                              ((self._forward_hooks_with_kwargs, with_kwargs),
                               (self._forward_hooks_always_called, always_call)))

    def register_full_backward_hook(self, hook: Callable,
                                    prepend: bool = False) -> RemovableHandle:
        """hook(module, grad_input, grad_output) -> None or a new grad_input, run when the
        gradients with respect to the module's inputs are computed. grad_input holds one
        entry per positional argument (None for non-Tensors), grad_output one per output;
        a replacement grad_input changes what flows further back, not the gradients of
        the module's own parameters."""
        return self._add_hook(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(self, hook: Callable,
                                        prepend: bool = False) -> RemovableHandle:
        """hook(module, grad_output) -> None or a new grad_output, run when the
        gradients with respect to the module's outputs are known, before the module's
        own backward."""
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    # ---------------------------------------------------------------- registration
    def _check_initialized(self) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameters or modules before "
                                 "Module.__init__() call")

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            self._check_initialized()
            self._remove_everywhere(name, keep="_parameters")
            params[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError("cannot assign %s as parameter '%s' (a Parameter or None is "
                                "expected)" % (type(value).__name__, name))
            params[name] = None
        elif isinstance(value, Module):
            self._check_initialized()
            self._remove_everywhere(name, keep="_modules")
            self._modules[name] = value
        elif name in self.__dict__.get("_modules", {}):
            if value is not None:
                raise TypeError("cannot assign %s as child module '%s' (a Module or None is "
                                "expected)" % (type(value).__name__, name))
            self._modules[name] = None
        elif name in self.__dict__.get("_buffers", {}):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError("cannot assign %s as buffer '%s' (a Tensor or None is "
                                "expected)" % (type(value).__name__, name))
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _remove_everywhere(self, name: str, keep: str = "") -> None:
        """Forget `name` in every store but `keep`, so a re-registration keeps its place."""
        self.__dict__.pop(name, None)
        for store in ("_parameters", "_buffers", "_modules"):
            if store != keep:
                self.__dict__[store].pop(name, None)
        if keep != "_buffers":
            self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str) -> Any:
        for store in ("_parameters", "_buffers", "_modules"):
            table = self.__dict__.get(store)
            if table is not None and name in table:
                return table[name]
        raise AttributeError("'%s' object has no attribute '%s'" % (type(self).__name__, name))

    def __delattr__(self, name: str) -> None:
        for store in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(store, {}):
                del self.__dict__[store][name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = list(super().__dir__())
        for store in ("_parameters", "_buffers", "_modules"):
            keys += list(self.__dict__.get(store, {}))
        return sorted(set(keys))

    def _check_name(self, name: str, kind: str, store: str) -> None:
        """A registration name: a non-empty str without '.', not already an attribute
        other than an entry of `store` (torch's rule: re-registering within the same
        store is fine, shadowing a method or another kind of member is not)."""
        if not isinstance(name, str):
            raise TypeError("%s name must be a str, got %s" % (kind, type(name).__name__))
        if not name or "." in name:
            raise KeyError("%s name must be a non-empty string without '.', got %r"
                           % (kind, name))
        if hasattr(self, name) and name not in self.__dict__[store]:
            raise KeyError("attribute '%s' already exists" % name)

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        """Add a Parameter (or None, a declared but absent one such as bias=False)."""
        self._check_initialized()
        self._check_name(name, "parameter", "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError("cannot assign %s as parameter '%s' (a Parameter or None is "
                            "expected)" % (type(param).__name__, name))
        self._remove_everywhere(name, keep="_parameters")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Optional[Tensor],
                        persistent: bool = True) -> None:
        """Add non-trainable state (e.g. running statistics); persistent ones are saved."""
        self._check_initialized()
        self._check_name(name, "buffer", "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError("cannot assign %s as buffer '%s' (a Tensor or None is expected)"
                            % (type(tensor).__name__, name))
        self._remove_everywhere(name, keep="_buffers")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Optional["Module"]) -> None:
        """Add a child Module under `name`."""
        self._check_initialized()
        self._check_name(name, "module", "_modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError("%s is not a Module subclass" % type(module).__name__)
        self._remove_everywhere(name, keep="_modules")
        self._modules[name] = module

    register_module = add_module

    # ---------------------------------------------------------------- traversal
    def named_modules(self, memo: Optional[Set["Module"]] = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[Tuple[str, "Module"]]:
        """(qualified name, module) for self and every descendant, parents first; a
        module reachable twice is listed once unless remove_duplicate=False. `memo`, a
        set of modules, holds those already listed (and is filled in)."""
        memo = set() if memo is None else memo
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, prefix + ("." if prefix else "") + name,
                                               remove_duplicate)

    def modules(self) -> Iterator["Module"]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator["Module"]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, store: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True):
        seen = set()
        owners = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                  if recurse else [(prefix, self)])
        for owner_name, owner in owners:
            for name, value in owner.__dict__[store].items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield owner_name + ("." if owner_name else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[Tuple[str, Parameter]]:
        """(qualified name, Parameter), in registration order, each Parameter once (unless
        remove_duplicate=False)."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[Tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    # ---------------------------------------------------------------- lookups by name
    def _get_name(self) -> str:
        return type(self).__name__

    def get_submodule(self, target: str) -> "Module":
        """The module at dotted path `target` ("" is self); AttributeError naming the
        first part of the path that is missing or not a Module."""
        if target == "":
            return self
        module = self
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(module._get_name() + " has no attribute `" + item + "`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return module

    def set_submodule(self, target: str, module: "Module", strict: bool = False) -> None:
        """Put `module` at dotted path `target` (its parent must exist; with strict, the
        attribute too), replacing what is there if that is a Module."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError("`module` is not an nn.Module, found %s" % type(module))
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and not hasattr(parent, name):
            raise AttributeError(parent._get_name() + " has no attribute `" + name + "`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError("`" + name + "` is not an nn.Module")
        setattr(parent, name, module)

    def _get_member(self, target: str, store: str, kind: str) -> Tensor:
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(module._get_name() + " has no attribute `" + name + "`")
        if name not in module.__dict__[store]:
            raise AttributeError("`" + name + "` is not " + kind)
        return getattr(module, name)

    def get_parameter(self, target: str) -> Parameter:
        """The Parameter at dotted path `target` (e.g. "block.fc.weight")."""
        return self._get_member(target, "_parameters", "an nn.Parameter")

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path `target` (e.g. "bn.running_mean")."""
        return self._get_member(target, "_buffers", "a buffer")

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call fn on every child (recursively), then on self; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---------------------------------------------------------------- modes and grads
    def train(self, mode: bool = True) -> "Module":
        """Set training mode on self and every descendant; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be a bool, got %r" % (mode,))
        object.__setattr__(self, "training", mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's .grad (or fill it with zeros when set_to_none=False)."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad._data[...] = 0

    # ---------------------------------------------------------------- devices and dtypes
    def _convert(self, fn: Callable[[Tensor], Tensor]) -> "Module":
        """Replace every parameter's and buffer's data (and grad) by fn's result, in place,
        so that optimizers holding the Parameters keep working."""
        for module in self.modules():
            for param in module._parameters.values():
                if param is None:
                    continue
                param._data = fn(param.detach())._data
                if param.grad is not None:
                    param.grad = Tensor(fn(param.grad.detach())._data)
            for name, buf in module._buffers.items():
                if buf is not None:
                    buf._data = fn(buf.detach())._data
        return self

    def to(self, *args, device=None, dtype=None, non_blocking: bool = False,
           memory_format=None) -> "Module":
        """Move parameters and buffers to a device ('cpu', 'cuda', 'cuda:0' or a
        fastconv.device) and/or cast the floating ones to a dtype, as torch's Module.to:
        to(device), to(dtype), to(device, dtype) or to(tensor) (its device and dtype).
        Works in place; returns self. non_blocking and memory_format have no effect."""
        for arg in args:
            if isinstance(arg, Tensor):
                device, dtype = arg.device, arg.dtype
            elif _device_name(arg) is not None:
                device = arg
            else:
                dtype = arg
        if device is not None:
            name = _device_name(device)
            if name is None:
                raise TypeError("device must be 'cpu', 'cuda' or a fastconv.device, got %r"
                                % (device,))
            device = name
        if dtype is not None:
            dtype = _float_dtype(dtype)
        if device is not None:
            self._convert(lambda t: t.to(device))
        if dtype is not None:
            self._convert(lambda t: _cast(t, dtype))
        return self

    def cpu(self) -> "Module":
        return self.to("cpu")

    def cuda(self) -> "Module":
        return self.to("cuda")

    def double(self) -> "Module":
        return self.to(dtype="float64")

    def float(self) -> "Module":
        return self.to(dtype="float32")

    def half(self) -> "Module":
        """Refused: fastconv computes in float32 and float64 only."""
        return self.to(dtype="float16")

    def bfloat16(self) -> "Module":
        """Refused: fastconv computes in float32 and float64 only."""
        raise TypeError("bfloat16 is not supported: fastconv computes in float32 and "
                        "float64 only")

    # ---------------------------------------------------------------- state
    def state_dict(self, prefix: str = "") -> "OrderedDict[str, Tensor]":
        """Ordered name -> detached Tensor (sharing data) of every parameter and persistent
        buffer, module by module in registration order, named as PyTorch names them."""
        return OrderedDict((key, value.detach())
                           for key, value in self._targets_by_name(prefix).items())

    def load_state_dict(self, state_dict: Mapping[str, Any],
                        strict: bool = True) -> _IncompatibleKeys:
        """Copy values (Tensors or arrays) into the existing parameters and buffers.

        Shape mismatches always raise RuntimeError; with strict=True missing or
        unexpected keys do too. Returns (missing_keys, unexpected_keys).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError("state_dict must be a mapping of name -> Tensor, got %s"
                            % type(state_dict).__name__)
        targets = self._targets_by_name()
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        errors: List[str] = []
        sources = {}
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            value = value if isinstance(value, Tensor) else _as_tensor(value, key)
            if tuple(value.shape) != tuple(target.shape):
                errors.append("size mismatch for %s: copying a param with shape %s from "
                              "checkpoint, the shape in current model is %s."
                              % (key, tuple(value.shape), tuple(target.shape)))
            sources[key] = value
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: %s."
                              % ", ".join('"%s"' % k for k in unexpected))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: %s."
                              % ", ".join('"%s"' % k for k in missing))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for %s:\n\t%s"
                               % (type(self).__name__, "\n\t".join(errors)))
        with no_grad():
            for key, value in sources.items():
                target = targets[key]
                target._data[...] = value.to(target.device)._data
        return _IncompatibleKeys(missing, unexpected)

    def _targets_by_name(self, prefix: str = "") -> "OrderedDict[str, Tensor]":
        """The live (not detached) parameters and persistent buffers, by state_dict name
        (a module or Parameter registered under two names is listed under both, as in
        torch)."""
        out: "OrderedDict[str, Tensor]" = OrderedDict()
        for owner_name, owner in self.named_modules(prefix=prefix.rstrip("."),
                                                    remove_duplicate=False):
            base = owner_name + "." if owner_name else ""
            for name, param in owner._parameters.items():
                if param is not None:
                    out[base + name] = param
            for name, buf in owner._buffers.items():
                if buf is not None and name not in owner._non_persistent_buffers:
                    out[base + name] = buf
        return out

    # ---------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in repr(); subclasses override it."""
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines += extra.split("\n")
        for name, child in self._modules.items():
            text = repr(child).replace("\n", "\n  ")
            lines.append("(%s): %s" % (name, text))
        head = type(self).__name__ + "("
        if not lines:
            return head + ")"
        if len(lines) == 1 and not self._modules:
            return head + lines[0] + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _as_tensor(value: Any, key: str) -> Tensor:
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return Tensor(value)
    raise TypeError("state_dict[%r] must be a Tensor or an array, got %s"
                    % (key, type(value).__name__))


def _float_dtype(dtype) -> np.dtype:
    """float32 or float64 as a numpy dtype; any other dtype is a TypeError."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError("dtype must be float32 or float64, got %r" % (dtype,)) from None
    if resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError("dtype %s is not supported: fastconv computes in float32 and "
                        "float64 only" % resolved)
    return resolved


def _cast(t: Tensor, dtype) -> Tensor:
    """t's data as `dtype` when t is floating point, else t unchanged."""
    return t.to(dtype=dtype) if t.dtype.kind == "f" else t
