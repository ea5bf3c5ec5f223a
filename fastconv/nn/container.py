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
