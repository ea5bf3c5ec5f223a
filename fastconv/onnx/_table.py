"""The exporter table: one entry per autograd Function class, mapping a recorded call to
ONNX nodes. A new op plugs in with one `@exporter(FunctionClass)` function."""
import dataclasses
from typing import Any, Callable, Dict, List, Optional, Tuple

from ._graph import ExportError, GraphBuilder

EXPORTERS: Dict[type, Callable] = {}


@dataclasses.dataclass
class Call:
    """One recorded op, as the exporters see it.

    args/kwargs: the call's arguments as given to Function.apply (Tensors included);
    inputs: the ONNX value name of each positional argument (None where it is not a
    Tensor); input_shapes: their shapes (None likewise); output_shapes: the shape of
    each output; ctx: the op's Context (what forward saved, e.g. ctx.options);
    batched: whether an input carries the batch dim (then so do the outputs, unless the
    exporter sets keeps_batch = False).
    """

    function: type
    ctx: Any
    args: Tuple
    kwargs: Dict
    inputs: List[Optional[str]]
    input_shapes: List[Optional[Tuple[int, ...]]]
    output_shapes: List[Tuple[int, ...]]
    batched: bool
    keeps_batch: bool = True   # an exporter sets False when dim 0 stops being the batch

    @property
    def name(self) -> str:
        """The op's name in errors ('Conv2d', 'Activation(kind=gelu)', ...)."""
        return self.function.op_name or self.function.__name__

    @property
    def output_shape(self) -> Tuple[int, ...]:
        return self.output_shapes[0]

    def refuse(self, why: str) -> "ExportError":
        """An ExportError naming this op."""
        return ExportError("cannot export %s to ONNX: %s" % (self.name, why))


def exporter(*functions: type) -> Callable:
    """Register the decorated fn(g: GraphBuilder, call: Call) -> output name (or a list
    of names for a multi-output op) as the exporter of each Function class given."""
    def register(fn: Callable) -> Callable:
        for function in functions:
            EXPORTERS[function] = fn
        return fn
    return register


def lookup(function: type) -> Callable:
    """The exporter of a Function class, or an ExportError naming the op."""
    fn = EXPORTERS.get(function)
    if fn is None:
        name = function.op_name or function.__name__
        raise ExportError(
            "cannot export op '%s' (%s.%s) to ONNX: fastconv.onnx has no exporter for it "
            "(add one with fastconv.onnx.exporter)" % (name, function.__module__,
                                                       function.__qualname__))
    return fn


__all__ = ["Call", "EXPORTERS", "ExportError", "GraphBuilder", "exporter", "lookup"]
