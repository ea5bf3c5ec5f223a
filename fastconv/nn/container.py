"""Sequential: modules applied in order, with the runs of nn.fusion's table fused."""
from collections import OrderedDict
from typing import Iterator, Union

from ..autograd import Tensor
from .fusion import fused_run
from .module import Module


class Sequential(Module):
    """Sequential(m0, m1, ...) or Sequential(OrderedDict(name=module)); forward chains them.

    Runs of modules listed in the fusion table (fastconv.nn.fusion: Conv2d -> ReLU
    -> MaxPool2d, Conv2d -> ReLU, ...) run as one fused call; the result and the
    gradients are those of the modules run one after the other.
    """

    def __init__(self, *args: Module) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def _index(self, idx: int) -> str:
        keys = list(self._modules)
        if isinstance(idx, bool) or not isinstance(idx, int):
            raise TypeError("Sequential indices must be integers or slices, got %s"
                            % type(idx).__name__)
        if not -len(keys) <= idx < len(keys):
            raise IndexError("index %d is out of range for a Sequential of length %d"
                             % (idx, len(keys)))
        return keys[idx]

    def __getitem__(self, idx: Union[int, slice]) -> Module:
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, self._index(idx), module)

    def __delitem__(self, idx: Union[int, slice]) -> None:
        keys = list(self._modules)[idx] if isinstance(idx, slice) else [self._index(idx)]
        for key in keys:
            del self._modules[key]
        # keep integer names contiguous, as torch does
        items = list(self._modules.items())
        self._modules.clear()
        for i, (_, module) in enumerate(items):
            self._modules[str(i)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> "Sequential":
        """Add a module at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> "Sequential":
        for module in modules:
            self.append(module)
        return self

    def forward(self, input: Tensor) -> Tensor:
        modules = list(self._modules.values())
        i = 0
        while i < len(modules):
            call, count = fused_run(modules, i)
            input = call(input)
            i += count
        return input


# ---------------------------------------------------------------- ModuleList, ModuleDict
# (their imports sit here so that this section merges independently of the one above)
import itertools  # noqa: E402
import operator  # noqa: E402
from collections import abc  # noqa: E402
from typing import Iterable, List, Mapping, Optional  # noqa: E402


class ModuleList(Module):
    """A list of modules, registered as children named "0", "1", ... (so that their
    parameters belong to the parent); indexing, slicing, append, extend, insert, pop,
    del, +, += and iteration as on a list. It has no forward: the parent decides how its
    members are called."""

    def __init__(self, modules: Optional[Iterable[Module]] = None) -> None:
        super().__init__()
        if modules is not None:
            self += modules

    def _absolute(self, idx) -> str:
        """The member name for list index idx (negative counts from the end)."""
        idx = operator.index(idx)
        if not -len(self) <= idx < len(self):
            raise IndexError("index %d is out of range" % idx)
        return str(idx % len(self))

    def _renumber(self, modules: List[Module]) -> None:
        self._modules.clear()
        for i, module in enumerate(modules):
            self._modules[str(i)] = module

    def __getitem__(self, idx: Union[int, slice]) -> Union[Module, "ModuleList"]:
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[self._absolute(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, self._absolute(idx), module)

    def __delitem__(self, idx: Union[int, slice]) -> None:
        modules = list(self._modules.values())
        if isinstance(idx, slice):
            del modules[idx]
        else:
            del modules[int(self._absolute(idx))]
        self._renumber(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __contains__(self, module) -> bool:
        return any(m is module for m in self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> "ModuleList":
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> "ModuleList":
        combined = ModuleList()
        for i, module in enumerate(itertools.chain(self, other)):
            combined.add_module(str(i), module)
        return combined

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, module: Module) -> "ModuleList":
        """Add a module at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        """Append every module of an iterable; returns self."""
        if not isinstance(modules, abc.Iterable):
            raise TypeError("ModuleList.extend should be called with an iterable, but got "
                            + type(modules).__name__)
        offset = len(self)
        for i, module in enumerate(modules):
            self.add_module(str(offset + i), module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert a module before position index (list.insert's rules)."""
        if not isinstance(module, Module):
            raise TypeError("%s is not a Module subclass" % type(module).__name__)
        modules = list(self._modules.values())
        modules.insert(operator.index(index), module)
        self._renumber(modules)

    def pop(self, key: Union[int, slice]) -> Module:
        """Remove and return the member at key."""
        value = self[key]
        del self[key]
        return value

    def __repr__(self) -> str:
        """torch's form: runs of members with the same repr shown once, as
        "(0-2): 3 x Linear(...)"."""
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        runs = []   # [first index, last index, repr]
        for i, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = []
        for first, last, text in runs:
            head = ("(%d): " % first if first == last
                    else "(%d-%d): %d x " % (first, last, last - first + 1))
            lines.append((head + text).replace("\n", "\n  "))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of modules, registered as children under their keys; [], del,
    in, len, iteration over keys, keys/items/values, update, pop and clear as on a
    dict. It has no forward: the parent decides how its members are called."""

    def __init__(self, modules: Optional[Mapping[str, Module]] = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        """Remove every member."""
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Remove and return the member under key."""
        value = self[key]
        del self[key]
        return value

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules) -> None:
        """Add or replace members from a mapping (its order) or an iterable of
        (key, module) pairs."""
        if not isinstance(modules, abc.Iterable):
            raise TypeError("ModuleDict.update should be called with an iterable of "
                            "key/value pairs, but got " + type(modules).__name__)
        if isinstance(modules, (abc.Mapping, ModuleDict)):
            for key, module in modules.items():
                self[key] = module
            return
        for j, pair in enumerate(modules):
            if not isinstance(pair, abc.Iterable):
                raise TypeError("ModuleDict update sequence element #%d should be Iterable; "
                                "is %s" % (j, type(pair).__name__))
            if len(pair) != 2:
                raise ValueError("ModuleDict update sequence element #%d has length %d; 2 "
                                 "is required" % (j, len(pair)))
            self[pair[0]] = pair[1]
