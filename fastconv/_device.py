"""fastconv.device: where a tensor lives ("cpu", or "cuda" through CuPy), as torch.device.

A device compares equal to another device of the same type and index and to its own
string ("cpu", "cuda", "cuda:0"), so code written against either spelling works.
"""
from typing import Optional, Union

_TYPES = ("cpu", "cuda")


class device:
    """device("cpu"), device("cuda"), device("cuda:1") or device("cuda", 1)."""

    __slots__ = ("type", "index")

    def __init__(self, type: Union[str, "device"], index: Optional[int] = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError("device(): expected a string like 'cpu' or 'cuda:0', got %s"
                            % builtins_type(type).__name__)
        kind, _, number = type.partition(":")
        if kind not in _TYPES:
            raise RuntimeError("Expected one of cpu, cuda device type at start of device "
                               "string: %s" % type)
        if number:
            if index is not None:
                raise ValueError("device(): index given twice in %r and index=%r"
                                 % (type, index))
            if not number.isdigit():
                raise RuntimeError("Invalid device string: %r" % type)
            index = int(number)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError("device index must be a non-negative int, got %r" % (index,))
        if kind == "cpu" and index not in (None, 0):
            raise ValueError("cpu device index must be 0 or None, got %r" % (index,))
        object.__setattr__(self, "type", kind)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name, value):
        raise AttributeError("device is immutable")

    def __str__(self) -> str:
        return self.type if self.index is None else "%s:%d" % (self.type, self.index)

    def __repr__(self) -> str:
        if self.index is None:
            return "device(type='%s')" % self.type
        return "device(type='%s', index=%d)" % (self.type, self.index)

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, ValueError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


builtins_type = type
