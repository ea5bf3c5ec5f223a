"""Exporters of Tensor arithmetic and shape ops: + - * / (tensor or number), neg,
reshape/view/flatten, permute, cat, stack, clone, sum, mean, matmul, basic indexing,
maximum/minimum/clamp, x ** number, expand, split/chunk/unbind."""
from ..autograd.arithmetic import (Add, AddScalar, Div, DivScalar, Maximum, Minimum, Mul,
                                   MulScalar, Neg, PowScalar, RSubScalar, Sub)
from ..autograd.indexing import Index
from ..autograd.linalg import MatMul
from ..autograd.reductions import Mean, Sum
from ..autograd.shapes import Cat, Clone, Expand, Permute, Reshape, Split, Stack
from ..autograd.unary import Clamp
from ._graph import GraphBuilder
from ._table import Call, exporter

_BINARY = {Add: "Add", Sub: "Sub", Mul: "Mul", Div: "Div",
           MatMul: "MatMul", Maximum: "Max", Minimum: "Min"}


@exporter(*_BINARY)
def export_binary(g: GraphBuilder, call: Call) -> str:
    """a op b with numpy broadcasting (ONNX's multidirectional broadcasting is the same)."""
    return g.op(_BINARY[call.function], call.inputs[:2])


_WITH_NUMBER = {AddScalar: ("Add", False), RSubScalar: ("Sub", True),
                MulScalar: ("Mul", False), DivScalar: ("Div", False),
                PowScalar: ("Pow", False)}


@exporter(*_WITH_NUMBER)
def export_with_number(g: GraphBuilder, call: Call) -> str:
    """x + s, s - x, x * s, x / s, x ** s for a Python number s."""
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
    """Concat. With a batched input, a constant part made at the traced batch size (the
    zero channels of a ResNet option-A shortcut: zeros(n, c, h, w)) whose rows are all
    equal becomes one row expanded to the running batch size."""
    dim = int(call.ctx.dim)
    names = [i for i in call.inputs if i is not None]
    if call.batched and dim != 0:
        batched = next(n for n in names if n in g.batched)
        names = [_batch_expanded(g, call, k, n, batched) for k, n in enumerate(names)]
    return g.op("Concat", names, axis=dim)


def _batch_expanded(g: GraphBuilder, call: Call, k: int, name: str, batched: str) -> str:
    if name in g.batched:
        return name
    data, shape = call.args[k]._data, call.input_shapes[k]
    batch = next(s[0] for s, n in zip(call.input_shapes, call.inputs) if n in g.batched)
    if not shape or shape[0] != batch or not (data == data[:1]).all():
        return name
    row = g.const(data[:1], dtype=data.dtype, hint="row")
    target = g.op("Concat", [g.batch_size(batched), g.ints(list(shape[1:]), "shape")], axis=0)
    return g.op("Expand", [row, target], batched=True)


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


def _basic_index(index, ndim: int):
    """A basic index as a list over the input's dims plus inserted axes: ('slice', slice)
    / ('int', i) per input dim, ('new',) for None; Ellipsis expanded."""
    items = list(index) if isinstance(index, tuple) else [index]
    used = sum(1 for i in items if i is not None and i is not Ellipsis)
    out = []
    for i in items:
        if i is Ellipsis:
            out += [("slice", slice(None))] * (ndim - used)
            used = ndim   # only one Ellipsis
        elif i is None:
            out.append(("new",))
        elif isinstance(i, slice):
            out.append(("slice", i))
        else:
            out.append(("int", int(i)))
    taken = sum(1 for o in out if o[0] != "new")
    return out + [("slice", slice(None))] * (ndim - taken)


@exporter(Index)
def export_index(g: GraphBuilder, call: Call) -> str:
    """x[basic index] -> Slice (with steps) on the sliced dims, Squeeze for the int
    indices, Unsqueeze for None. A full slice of dim 0 keeps the batch symbolic."""
    shape = call.input_shapes[0]
    parts = _basic_index(call.args[1], len(shape))
    starts, ends, axes, steps, drop = [], [], [], [], []
    dim = 0
    for part in parts:
        if part[0] == "new":
            continue
        n = shape[dim]
        if part[0] == "int":
            i = part[1] % n if n else part[1]
            starts.append(i), ends.append(i + 1), axes.append(dim), steps.append(1)
            drop.append(dim)
        elif part[1] != slice(None):
            start, stop, step = part[1].indices(n)
            if step < 0 and stop < 0:
                stop = -(2 ** 62)            # "before index 0" for a backward slice
            starts.append(start), ends.append(stop), axes.append(dim), steps.append(step)
        dim += 1
    if call.batched and 0 in axes:
        call.keeps_batch = False
    y = call.inputs[0]
    if axes:
        y = g.op("Slice", [y, g.ints(starts, "starts"), g.ints(ends, "ends"),
                           g.ints(axes, "axes"), g.ints(steps, "steps")])
    if drop:
        y = g.squeeze(y, drop)
    kept = [p for p in parts if p[0] != "int"]
    new_axes = [i for i, p in enumerate(kept) if p[0] == "new"]
    if new_axes:
        if call.batched and 0 in new_axes:
            call.keeps_batch = False
        y = g.unsqueeze(y, new_axes)
    if y == call.inputs[0]:
        y = g.op("Identity", [y])
    return y


@exporter(Clamp)
def export_clamp(g: GraphBuilder, call: Call) -> str:
    """clamp(x, min, max) -> Max/Min (bounds may be numbers or tensors)."""
    y = call.inputs[0]
    for k, op in ((1, "Max"), (2, "Min")):
        bound = call.args[k] if k < len(call.args) else None
        if bound is None:
            continue
        name = call.inputs[k] if call.inputs[k] is not None else g.const(bound, hint="bound")
        y = g.op(op, [y, name])
    return y


@exporter(Expand)
def export_expand(g: GraphBuilder, call: Call) -> str:
    """expand -> Expand to the traced shape (a batched dim 0 read at run time)."""
    shape = list(call.output_shape)
    x = call.inputs[0]
    if call.batched and call.input_shapes[0] and len(shape) == len(call.input_shapes[0]) \
            and shape[0] == call.input_shapes[0][0]:
        target = g.op("Concat", [g.batch_size(x), g.ints(shape[1:], "shape")], axis=0)
    else:
        target = g.ints(shape, "shape")
    return g.op("Expand", [x, target])


@exporter(Split)
def export_split(g: GraphBuilder, call: Call) -> list:
    """split/chunk/unbind pieces -> one Slice each (Squeeze for unbind's)."""
    _, dim, bounds, drop = call.args[:4]
    if call.batched and dim == 0:
        call.keeps_batch = False
    outs = []
    for start, stop in bounds:
        y = g.op("Slice", [call.inputs[0], g.ints([start], "starts"), g.ints([stop], "ends"),
                           g.ints([dim], "axes")])
        outs.append(g.squeeze(y, [dim]) if drop else y)
    return outs
