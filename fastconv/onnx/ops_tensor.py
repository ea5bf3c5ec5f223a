"""Exporters of Tensor arithmetic and shape ops: + - * / (tensor or number), neg,
reshape/view/flatten, permute, cat, stack, clone, sum, mean, matmul."""
from ..autograd.arithmetic import (Add, AddScalar, Div, DivScalar, Mul, MulScalar, Neg,
                                   RSubScalar, Sub)
from ..autograd.linalg import MatMul
from ..autograd.reductions import Mean, Sum
from ..autograd.shapes import Cat, Clone, Permute, Reshape, Stack
from ._graph import GraphBuilder
from ._table import Call, exporter

_BINARY = {Add: "Add", Sub: "Sub", Mul: "Mul", Div: "Div",
           MatMul: "MatMul"}


@exporter(*_BINARY)
def export_binary(g: GraphBuilder, call: Call) -> str:
    """a op b with numpy broadcasting (ONNX's multidirectional broadcasting is the same)."""
    return g.op(_BINARY[call.function], call.inputs[:2])


_WITH_NUMBER = {AddScalar: ("Add", False), RSubScalar: ("Sub", True),
                MulScalar: ("Mul", False), DivScalar: ("Div", False)}


@exporter(*_WITH_NUMBER)
def export_with_number(g: GraphBuilder, call: Call) -> str:
    """x + s, s - x, x * s, x / s for a Python number s."""
    op, reflected = _WITH_NUMBER[call.function]
    s = g.const(call.args[1], hint="scalar")
    x = call.inputs[0]
    return g.op(op, [s, x] if reflected else [x, s])


@exporter(Neg)
def export_neg(g: GraphBuilder, call: Call) -> str:
    return g.op("Neg", [call.inputs[0]])


@exporter(Reshape)
def export_reshape(g: GraphBuilder, call: Call) -> str:
    """Reshape to the traced output shape. With a batched input, a kept dim 0 is written
    as 0 (copy the input's, so the batch stays symbolic); a dim 0 that folds the batch
    in with other dims is written as -1."""
    in_shape, out_shape = call.input_shapes[0], list(call.output_shape)
    target = list(out_shape)
    if call.batched and target:
        if in_shape and out_shape[0] == in_shape[0]:
            target[0] = 0
        else:
            target[0] = -1
            call.keeps_batch = False
    return g.op("Reshape", [call.inputs[0], g.ints(target)])


@exporter(Permute)
def export_permute(g: GraphBuilder, call: Call) -> str:
    dims = list(call.ctx.dims)
    if call.batched and dims and dims[0] != 0:
        call.keeps_batch = False
    return g.op("Transpose", [call.inputs[0]], perm=dims)


@exporter(Cat)
def export_cat(g: GraphBuilder, call: Call) -> str:
    return g.op("Concat", [i for i in call.inputs if i is not None], axis=int(call.ctx.dim))


@exporter(Stack)
def export_stack(g: GraphBuilder, call: Call) -> str:
    dim = int(call.ctx.dim)
    if call.batched and dim == 0:
        call.keeps_batch = False
    parts = [g.unsqueeze(i, [dim]) for i in call.inputs if i is not None]
    return g.op("Concat", parts, axis=dim)


@exporter(Clone)
def export_clone(g: GraphBuilder, call: Call) -> str:
    return g.op("Identity", [call.inputs[0]])


@exporter(Sum, Mean)
def export_reduce(g: GraphBuilder, call: Call) -> str:
    """sum/mean over dims (None: all) -> ReduceSum/ReduceMean."""
    _, dims, keepdim, dtype = call.args[:4]
    ndim = len(call.input_shapes[0])
    axes = list(range(ndim)) if dims is None else [int(d) for d in dims]
    if dtype is not None and dtype != g.dtype:
        raise call.refuse("a reduction with dtype=%s" % dtype)
    if call.batched and 0 in axes:
        call.keeps_batch = False
    op = "ReduceSum" if call.function is Sum else "ReduceMean"
    keep = int(bool(keepdim))
    if op == "ReduceSum" or g.opset >= 18:   # axes as an input
        return g.op(op, [call.inputs[0], g.ints(axes, "axes")], keepdims=keep)
    return g.op(op, [call.inputs[0]], axes=axes, keepdims=keep)
