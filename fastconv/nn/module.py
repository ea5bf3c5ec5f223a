"""Module: the base class of layers, holding Parameters, buffers and sub-Modules in order."""
from collections import OrderedDict, namedtuple
from typing import Any, Callable, Iterator, List, Mapping, Optional, Set, Tuple

from ..autograd import Tensor, no_grad
from .parameter import Parameter

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

    def forward(self, *args, **kwargs):
        raise NotImplementedError("%s must define forward()" % type(self).__name__)

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

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

    @staticmethod
    def _check_name(name: str, kind: str) -> None:
        if not isinstance(name, str):
            raise TypeError("%s name must be a str, got %s" % (kind, type(name).__name__))
        if not name or "." in name:
            raise KeyError("%s name must be a non-empty string without '.', got %r"
                           % (kind, name))

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        """Add a Parameter (or None, a declared but absent one such as bias=False)."""
        self._check_initialized()
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError("cannot assign %s as parameter '%s' (a Parameter or None is "
                            "expected)" % (type(param).__name__, name))
        self._remove_everywhere(name, keep="_parameters")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Optional[Tensor],
                        persistent: bool = True) -> None:
        """Add non-trainable state (e.g. running statistics); persistent ones are saved."""
        self._check_initialized()
        self._check_name(name, "buffer")
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
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError("%s is not a Module subclass" % type(module).__name__)
        self._remove_everywhere(name, keep="_modules")
        self._modules[name] = module

    register_module = add_module

    # ---------------------------------------------------------------- traversal
    def named_modules(self, memo: Optional[Set[int]] = None,
                      prefix: str = "") -> Iterator[Tuple[str, "Module"]]:
        """(qualified name, module) for self and every descendant, each module once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, prefix + ("." if prefix else "") + name)

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

    def _named_members(self, store: str, prefix: str, recurse: bool):
        seen = set()
        owners = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for owner_name, owner in owners:
            for name, value in owner.__dict__[store].items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield owner_name + ("." if owner_name else "") + name, value

    def named_parameters(self, prefix: str = "",
                         recurse: bool = True) -> Iterator[Tuple[str, Parameter]]:
        """(qualified name, Parameter), in registration order, each Parameter once."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "",
                      recurse: bool = True) -> Iterator[Tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

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
        for module in self.modules():
            object.__setattr__(module, "training", mode)
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
                param.grad.data[...] = 0

    # ---------------------------------------------------------------- devices and dtypes
    def _convert(self, fn: Callable[[Tensor], Tensor]) -> "Module":
        """Replace every parameter's and buffer's data (and grad) by fn's result, in place,
        so that optimizers holding the Parameters keep working."""
        for module in self.modules():
            for param in module._parameters.values():
                if param is None:
                    continue
                param.data = fn(param.detach()).data
                if param.grad is not None:
                    param.grad = Tensor(fn(param.grad.detach()).data)
            for name, buf in module._buffers.items():
                if buf is not None:
                    buf.data = fn(buf.detach()).data
        return self

    def to(self, device=None, dtype=None) -> "Module":
        """Move parameters and buffers to `device` ('cpu' or 'cuda') and/or cast the
        floating ones to `dtype`; also accepts to(dtype). Works in place; returns self."""
        if device is not None and not isinstance(device, str):
            device, dtype = None, device if dtype is None else dtype
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
                target.data[...] = value.to(target.device).data
        return _IncompatibleKeys(missing, unexpected)

    def _targets_by_name(self, prefix: str = "") -> "OrderedDict[str, Tensor]":
        """The live (not detached) parameters and persistent buffers, by state_dict name."""
        out: "OrderedDict[str, Tensor]" = OrderedDict()
        for owner_name, owner in self.named_modules(prefix=prefix.rstrip(".")):
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


def _cast(t: Tensor, dtype) -> Tensor:
    """t's data as `dtype` when t is floating point, else t unchanged."""
    return t.to(dtype=dtype) if t.dtype.kind == "f" else t
