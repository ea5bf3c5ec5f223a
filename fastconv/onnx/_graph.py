"""GraphBuilder: the ONNX graph under construction (nodes, initializers, value names) and
the small helpers every exporter uses (constants, fresh names, 4-D wrapping)."""
from typing import Dict, List, Optional, Sequence

import numpy as np


class ExportError(RuntimeError):
    """The model holds something that fastconv.onnx cannot express in ONNX; the message
    names the op (or the option) and, where there is one, the way around it."""


def to_numpy(array) -> np.ndarray:
    """A numpy copy-free view of a numpy array, or a host copy of a cupy one."""
    return array.get() if hasattr(array, "get") and not isinstance(array, np.ndarray) \
        else np.asarray(array)


class GraphBuilder:
    """Collects ONNX nodes and initializers. Value names are unique strings; `batched`
    holds the names of values whose dim 0 is the (possibly symbolic) batch dim."""

    def __init__(self, onnx_module, opset: int, dtype: np.dtype, array_names: Dict[int, str]):
        self.onnx = onnx_module
        self.helper = onnx_module.helper
        self.opset = opset
        self.dtype = np.dtype(dtype)
        self.nodes: List = []
        self.initializers: List = []
        self.batched = set()
        self.dynamic_batch = True           # export's dynamic_batch argument
        self._array_names = array_names     # id(array) -> state_dict key
        self._array_cache: Dict[int, str] = {}
        self._keep = []                     # arrays whose ids are cached: keep them alive
        self._used = set()
        self._counter = 0

    # ------------------------------------------------------------------ names

    def fresh(self, hint: str) -> str:
        """A new unique value name based on hint."""
        self._counter += 1
        name = "%s_%d" % (hint, self._counter)
        while name in self._used:
            self._counter += 1
            name = "%s_%d" % (hint, self._counter)
        self._used.add(name)
        return name

    def claim(self, name: str) -> str:
        """name itself when still free, else a numbered variant."""
        if name not in self._used:
            self._used.add(name)
            return name
        return self.fresh(name)

    # ------------------------------------------------------------------ nodes

    def op(self, op_type: str, inputs: Sequence[Optional[str]], output: Optional[str] = None,
           batched: bool = False, **attrs) -> str:
        """Add one single-output node; returns its output's name. Trailing None inputs are
        dropped, inner ones become "" (an omitted optional input)."""
        inputs = list(inputs)
        while inputs and inputs[-1] is None:
            inputs.pop()
        out = output if output is not None else self.fresh(op_type.lower())
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, ["" if i is None else i
                                                          for i in inputs], [out], **attrs))
        if batched:
            self.batched.add(out)
        return out

    def op_outputs(self, op_type: str, inputs: Sequence[Optional[str]], count: int,
                   **attrs) -> List[str]:
        """Add one node with `count` outputs; returns their names."""
        inputs = list(inputs)
        while inputs and inputs[-1] is None:
            inputs.pop()
        outs = [self.fresh(op_type.lower()) for _ in range(count)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, ["" if i is None else i
                                                          for i in inputs], outs, **attrs))
        return outs

    # ------------------------------------------------------------------ constants

    def initializer(self, array, name: str) -> str:
        """Store array as an initializer under (a unique variant of) name."""
        name = self.claim(name)
        self.initializers.append(self.onnx.numpy_helper.from_array(
            np.ascontiguousarray(to_numpy(array)), name))
        return name

    def array(self, array, hint: str = "const") -> str:
        """The initializer holding this exact array (a parameter or buffer keeps its
        state_dict key), made once per array object."""
        key = id(array)
        if key not in self._array_cache:
            self._keep.append(array)
            self._array_cache[key] = self.initializer(array, self._array_names.get(key, hint))
        return self._array_cache[key]

    def const(self, values, dtype=None, hint: str = "const") -> str:
        """A new initializer of values in the graph's float dtype (or `dtype`)."""
        return self.initializer(np.asarray(values, dtype=dtype or self.dtype), self.fresh(hint))

    def ints(self, values, hint: str = "shape") -> str:
        """A new int64 initializer (shapes, axes, pads as inputs)."""
        return self.const(values, np.int64, hint)

    # ------------------------------------------------------------------ helpers

    def unsqueeze(self, name: str, axes: Sequence[int]) -> str:
        return self.op("Unsqueeze", [name, self.ints(list(axes), "axes")])

    def squeeze(self, name: str, axes: Sequence[int]) -> str:
        return self.op("Squeeze", [name, self.ints(list(axes), "axes")])

    def batch_size(self, name: str) -> str:
        """A 1-D int64 value holding dim 0 of `name` at run time."""
        shape = self.op("Shape", [name])
        return self.op("Slice", [shape, self.ints([0], "starts"), self.ints([1], "ends")])
