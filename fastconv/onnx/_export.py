"""fastconv.onnx.export: trace one forward pass on the autograd tape, translate each
recorded op through the exporter table, and write the ONNX model."""
import contextlib
import os
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from ..autograd import Tensor, enable_grad
from ..autograd import function as _function
from ._graph import ExportError, GraphBuilder
from ._table import Call, lookup

_ONNX_HINT = "fastconv.onnx needs the onnx package: pip install fastconv[onnx]"


def _import_onnx():
    try:
        import onnx
    except ImportError as e:   # pragma: no cover - depends on the environment
        raise ImportError(_ONNX_HINT) from e
    return onnx


@contextlib.contextmanager
def _recording(calls: Dict[int, tuple]):
    """Have the tape report each recorded op's full arguments into calls[id(ctx)]."""
    if _function._tracer is not None:
        raise RuntimeError("fastconv.onnx.export is already tracing a model (not reentrant)")

    def tracer(ctx, args, kwargs):
        calls[id(ctx)] = (ctx, args, kwargs)

    _function._tracer = tracer
    try:
        yield
    finally:
        _function._tracer = None


@contextlib.contextmanager
def _eval_mode(model):
    """model.eval() for the trace, each module's own training flag restored after."""
    modules = list(model.modules()) if hasattr(model, "modules") else []
    flags = [m.training for m in modules]
    if hasattr(model, "eval"):
        model.eval()
    try:
        yield
    finally:
        for m, flag in zip(modules, flags):
            m.training = flag


def _as_input(example) -> Tensor:
    """A fresh Tensor with example's values that requires grad (so that every op that
    depends on it is recorded on the tape)."""
    data = example._data if isinstance(example, Tensor) else np.asarray(example)
    if data.dtype not in (np.float32, np.float64):
        raise TypeError("example_input must be float32 or float64, got %s" % data.dtype)
    x = Tensor(data.copy())
    x.requires_grad = True
    return x


def _array_names(model) -> Dict[int, str]:
    """id of each parameter's and buffer's array -> its state_dict key (state_dict's
    Tensors are detached but share the arrays)."""
    names = {}
    if hasattr(model, "state_dict"):
        for key, t in model.state_dict().items():
            if isinstance(t, Tensor):
                names.setdefault(id(t._data), key)
    return names


def _tensor_inputs(ctx):
    inputs = ctx._inputs
    return (inputs,) if isinstance(inputs, Tensor) else tuple(
        a for a in inputs if isinstance(a, Tensor))


class _Translator:
    """Walks the tape from the outputs and emits ONNX nodes for the ops that depend on
    the input; everything else (parameters, and values computed from parameters alone,
    such as a BatchNorm folded into a conv) becomes an initializer."""

    def __init__(self, g: GraphBuilder, x: Tensor, input_name: str, calls, names):
        self.g, self.x, self.calls, self.names = g, x, calls, names
        self.values = {id(x): input_name}   # id(live tensor) -> value name
        self.node_outputs = {}              # id(ctx) -> list of output names
        self.live = set()                   # ids of contexts that depend on the input
        self.shapes = {}                    # id(ctx) -> its single output's shape

    def run(self, outputs: Sequence[Tensor]) -> List[str]:
        contexts = self._reachable(outputs)
        for ctx in sorted(contexts, key=lambda c: c._seq):
            ins = _tensor_inputs(ctx)
            if any(self._is_live(t) for t in ins):
                self.live.add(id(ctx))
                self._emit(ctx)
        names = []
        for i, t in enumerate(outputs):
            if not self._is_live(t):
                raise ExportError(
                    "output %d does not depend on the input through recorded ops: the "
                    "forward leaves the autograd tape (numpy, .item(), .detach(), an in-place "
                    "change or no_grad inside forward?)" % i)
            names.append(self.value(t))
        return names

    def _reachable(self, outputs):
        """Every context on the tape behind outputs; notes each one's output shape (from
        the tensors that hold them: the outputs and the ops' inputs)."""
        seen, stack = {}, []
        for t in outputs:
            if t._node is not None:
                self.shapes[id(t._node)] = tuple(t.shape)
                stack.append(t._node)
        while stack:
            ctx = stack.pop()
            if id(ctx) in seen:
                continue
            if ctx._inputs is None:
                raise ExportError("the traced graph was freed by backward()")
            seen[id(ctx)] = ctx
            for t in _tensor_inputs(ctx):
                if t._node is not None:
                    self.shapes.setdefault(id(t._node), tuple(t.shape))
                    stack.append(t._node)
        return seen.values()

    def _is_live(self, t: Tensor) -> bool:
        return t is self.x or (t._node is not None and id(t._node) in self.live)

    def value(self, t: Tensor) -> str:
        """The value name of a Tensor: the input, an op's output or an initializer."""
        if t is self.x:
            return self.values[id(t)]
        if self._is_live(t):
            outs = self.node_outputs[id(t._node)]
            if len(outs) == 1:
                return outs[0]
            refs = t._node._outputs or ()
            for i, ref in enumerate(refs):
                if ref() is t:
                    return outs[i]
            raise ExportError("cannot tell which output of %s a tensor is" % t._node.name())
        return self.g.array(t._data, self._constant_name(t))

    def _constant_name(self, t: Tensor) -> str:
        """A parameter's state_dict key; for a value computed from parameters, the key of
        the first parameter found behind it (depth first) followed by '.folded'."""
        key = self.names.get(id(t._data))
        if key is not None:
            return key
        stack, seen = [t], 0
        while stack and seen < 256:
            u = stack.pop()
            seen += 1
            key = self.names.get(id(u._data))
            if key is not None:
                return key + ".folded"
            if u._node is not None and u._node._inputs is not None:
                stack.extend(reversed(_tensor_inputs(u._node)))
        return "const"

    def _emit(self, ctx) -> None:
        entry = self.calls.get(id(ctx))
        if entry is not None:
            _, args, kwargs = entry
        else:   # apply_binary's ops: the tape's inputs are all their arguments
            inputs = ctx._inputs
            args, kwargs = (inputs if isinstance(inputs, tuple) else (inputs,)), {}
        function = ctx._function
        inputs, shapes = [], []
        batched = False
        for a in args:
            if isinstance(a, Tensor):
                name = self.value(a)
                inputs.append(name)
                shapes.append(tuple(a.shape))
                batched = batched or name in self.g.batched
            else:
                inputs.append(None)
                shapes.append(None)
        call = Call(function, ctx, args, kwargs, inputs, shapes, [], batched)
        call.output_shapes = self._output_shapes(ctx)
        fn = lookup(function)
        out = fn(self.g, call)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        if batched and call.keeps_batch:
            self.g.batched.update(outs)
        self.node_outputs[id(ctx)] = outs

    def _output_shapes(self, ctx):
        outputs = ctx._outputs
        if outputs:
            return [tuple(r().shape) if r() is not None else None for r in outputs]
        return [self.shapes.get(id(ctx))]


def export(model, example_input, path: Union[str, os.PathLike, None],
           opset_version: int = 17, input_names: Optional[Sequence[str]] = None,
           output_names: Optional[Sequence[str]] = None, dynamic_batch: bool = True):
    """Export `model` (a fastconv Module or any callable on one Tensor) to ONNX at `path`.

    One forward pass on example_input runs in evaluation mode with the tape recording
    (each module's training flag is restored afterwards); every recorded op is
    translated through fastconv.onnx.EXPORTERS, and parameters become initializers named
    by their state_dict keys. dynamic_batch=True makes dim 0 of the input and outputs
    symbolic ('batch'). An op without an exporter, or an option ONNX cannot express,
    raises fastconv.onnx.ExportError naming it. Returns the onnx.ModelProto (also
    written to path unless path is None).
    """
    onnx = _import_onnx()
    if not isinstance(opset_version, int) or not 13 <= opset_version <= 21:
        raise ValueError("opset_version must be an int in [13, 21], got %r" % (opset_version,))
    x = _as_input(example_input)
    input_names = list(input_names) if input_names is not None else ["input"]
    if len(input_names) != 1:
        raise ValueError("input_names must name the one input, got %r" % (input_names,))
    calls: Dict[int, tuple] = {}
    with _eval_mode(model), enable_grad(), _recording(calls):
        result = model(x)
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    if not outputs or not all(isinstance(t, Tensor) for t in outputs):
        raise ExportError("the model must return a Tensor or a tuple/list of Tensors, got %s"
                          % type(result).__name__)
    if output_names is None:
        output_names = ["output"] if len(outputs) == 1 else \
            ["output_%d" % i for i in range(len(outputs))]
    output_names = list(output_names)
    if len(output_names) != len(outputs):
        raise ValueError("output_names has %d names for %d outputs"
                         % (len(output_names), len(outputs)))

    names = _array_names(model)
    g = GraphBuilder(onnx, opset_version, x.dtype, names)
    g.dynamic_batch = bool(dynamic_batch)
    input_name = g.claim(input_names[0])
    for n in output_names:
        g.claim(n)
    g.batched.add(input_name)
    translator = _Translator(g, x, input_name, calls, names)
    values = translator.run(outputs)
    for value, name in zip(values, output_names):
        g.op("Identity", [value], output=name)

    model_proto = _make_model(onnx, g, x, input_name, outputs, values, output_names,
                              dynamic_batch, opset_version)
    onnx.checker.check_model(model_proto)
    if path is not None:
        onnx.save(model_proto, os.fspath(path))
    return model_proto


_DTYPES = {np.dtype(np.float32): 1, np.dtype(np.float64): 11}


def _make_model(onnx, g, x, input_name, outputs, values, output_names, dynamic_batch, opset):
    helper = onnx.helper
    elem = _DTYPES[x.dtype]

    def shape_of(t, batched):
        dims = list(t.shape)
        if dynamic_batch and batched and dims:
            dims[0] = "batch"
        return dims

    graph_input = helper.make_tensor_value_info(input_name, elem, shape_of(x, True))
    graph_outputs = [
        helper.make_tensor_value_info(name, _DTYPES.get(t.dtype, elem),
                                      shape_of(t, value in g.batched))
        for t, value, name in zip(outputs, values, output_names)]
    used = {name for node in g.nodes for name in node.input}
    initializers = [i for i in g.initializers if i.name in used]   # drop replaced constants
    graph = helper.make_graph(g.nodes, "fastconv", [graph_input], graph_outputs,
                              initializer=initializers)
    model = helper.make_model(graph, producer_name="fastconv",
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = min(model.ir_version, 8 if opset <= 17 else 9)
    return model
