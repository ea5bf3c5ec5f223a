"""Function: one differentiable op, its forward and backward side by side; and the tape walk.

A Function subclass defines

    @staticmethod
    def forward(ctx, *args, **kwargs) -> array          # Tensor args arrive as raw arrays
    @staticmethod
    def backward(ctx, grad_output) -> grad or tuple      # one entry per positional arg

`Function.apply(*args, **kwargs)` unwraps Tensors, runs forward and, when any input
requires grad (and grad mode is on), records the call: the output Tensor's grad_fn is
the Context, which then also holds the Function, the inputs and a sequence number.
backward() runs the recorded Contexts from the newest to the oldest (a Context is always
newer than those of its inputs), so every gradient is complete before it is used.

Version counters (as PyTorch's): every in-place op bumps its tensor's version, shared with
the tensor's views. When apply records an op, it notes the version of each Tensor whose
memory forward saved with ctx.save_for_backward (saved Tensors; saved arrays are matched
to the input or output Tensor they are, or are a view of), and backward raises a
RuntimeError naming the op if one has changed since: its gradient would be wrong. Arrays
that forward copied, or keeps as plain ctx attributes, are not checked.
"""
import heapq
import itertools
from typing import Any, Tuple

import numpy as np

from .grad_mode import _state
from .tensor_base import (TensorBase, as_array, memory_root, new_tensor, share_version_if_view,
                          bump_version, version_box)

_NO_GRADS = {}            # arity -> (False,) * arity
_sequence = itertools.count()
_heappush, _heappop = heapq.heappush, heapq.heappop
_new_object = object.__new__
_ndarray = np.ndarray


class Context:
    """What forward leaves for backward (saved arrays, flags, anything else as attributes),
    and, once recorded, the op's node on the tape (a tensor's grad_fn)."""

    __slots__ = ("needs_input_grad", "_function", "_inputs", "_seq", "_released", "_versions",
                 "__dict__")

    saved_tensors: Tuple[Any, ...] = ()   # class default: nothing saved, no per-op tuple

    def __init__(self, needs_input_grad: Tuple[bool, ...]):
        self.needs_input_grad = needs_input_grad
        self._function = None
        self._released = False

    def save_for_backward(self, *arrays) -> None:
        """Keep these arrays (or Tensors) for backward, as ctx.saved_tensors."""
        self.saved_tensors = arrays

    def name(self) -> str:
        """The recorded op's name, as "MulBackward"."""
        function = self._function
        return "%sBackward" % (function.__name__ if function is not None else "Unrecorded")

    def __repr__(self) -> str:
        return "<%s>" % self.name()


def _context(function, needs_input_grad) -> Context:
    """A Context without __init__'s call overhead (what apply makes for every op)."""
    ctx = _new_object(Context)
    ctx.needs_input_grad = needs_input_grad
    ctx._function = function
    ctx._released = False
    return ctx


class Function:
    """Base class of differentiable ops."""

    # True when forward may return a view of its first argument's memory (reshape,
    # permute, basic indexing): the output then shares that Tensor's version counter.
    returns_view = False

    # True when backward returns only arrays it has just allocated (or views of them),
    # never grad_output, a saved array or one array twice: backward() may then hand
    # them to a leaf's .grad without the defensive copy.
    fresh_gradients = False

    @staticmethod
    def forward(ctx: Context, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad_output):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on the arrays inside the Tensor arguments; record it when needed."""
        return _run(cls, args, kwargs)[0]

    @classmethod
    def apply_with_context(cls, *args, **kwargs):
        """Like apply, but also return the Context (for ops with extra, non-differentiable
        outputs such as max_pool2d's indices)."""
        return _run(cls, args, kwargs)


def _run(function, args, kwargs):
    """(output Tensor, Context) of function.forward on args, recorded when an input needs
    a gradient and grad mode is on."""
    raw, needs = [], []
    first, record = None, False
    for a in args:
        if isinstance(a, TensorBase):
            raw.append(a._data)
            needs.append(a.requires_grad)
            record = record or a.requires_grad
            if first is None:
                first = a
        else:
            raw.append(a)
            needs.append(False)
    if first is None:
        raise TypeError("%s.apply needs at least one Tensor argument" % function.__name__)
    if record and _state.enabled:
        ctx = _context(function, tuple(needs))
        out = function.forward(ctx, *raw, **kwargs)
        return record_output(ctx, out, first, args), ctx
    ctx = _context(function, _no_grads(len(args)))
    out = function.forward(ctx, *raw, **kwargs)
    result = new_tensor(first._result_class, out if type(out) is _ndarray else as_array(out))
    if function.returns_view and args[0] is first:
        share_version_if_view(first, result)
    return result, ctx


def record_output(ctx: Context, out, first, inputs):
    """The Tensor around `out`, recorded on the tape as made by ctx from `inputs` (the
    op's positional arguments: Tensors, or anything else for non-Tensor arguments;
    `first` is the first Tensor among them), with the versions of what forward saved."""
    ctx._inputs = inputs
    ctx._seq = next(_sequence)
    result = new_tensor(first._result_class, out if type(out) is _ndarray else as_array(out),
                        ctx)
    if ctx._function.returns_view and inputs[0] is first:
        share_version_if_view(first, result)
    saved = ctx.saved_tensors
    ctx._versions = _saved_versions(saved, inputs, result) if saved else None
    return result


def _saved_versions(saved, inputs, output):
    """((counter, version, position), ...) for each saved item that is, or is a view of, a
    Tensor among the inputs or the output; None when there is none."""
    watched = []
    for position, item in enumerate(saved):
        tensor = _owner(item, inputs, output)
        if tensor is not None:
            box = version_box(tensor)
            watched.append((box, box[0], position))
    return tuple(watched) if watched else None


def _owner(item, inputs, output):
    """The Tensor whose memory a saved item is (an input or the output), or None."""
    if isinstance(item, TensorBase):
        return item
    if item is None:
        return None
    if item is output._data:
        return output
    for t in inputs:
        if isinstance(t, TensorBase) and t._data is item:
            return t
    if not hasattr(item, "base"):
        return None
    root = memory_root(item)
    for t in inputs:
        if isinstance(t, TensorBase) and memory_root(t._data) is root:
            return t
    return output if memory_root(output._data) is root else None


def _no_grads(n: int) -> Tuple[bool, ...]:
    """(False,) * n, built once per arity."""
    needs = _NO_GRADS.get(n)
    if needs is None:
        needs = _NO_GRADS[n] = (False,) * n
    return needs


def run_backward(root, gradient, retain_graph: bool = False) -> None:
    """Propagate `gradient` (an array shaped like root) from root to every leaf's .grad."""
    if root._node is None:
        _accumulate(root, gradient)
        return
    grads = {id(root): gradient}   # id(tensor) -> its gradient so far
    fresh = set()                  # keys whose gradient array nothing else references
    leaves = []
    heap = [(-root._node._seq, root)]   # newest Context first; seqs are unique
    while heap:
        tensor = _heappop(heap)[1]
        key = id(tensor)
        grad = grads.pop(key)
        if tensor._retains_grad:
            _accumulate(tensor, grad, key in fresh)
        node = tensor._node
        if node._released:
            raise RuntimeError("Trying to backward through the graph a second time; "
                               "pass retain_graph=True to the first backward() call")
        if node._versions is not None:
            _check_versions(node)
        function = node._function
        input_grads = function.backward(node, grad)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        inputs = node._inputs
        if len(input_grads) < len(inputs):
            raise RuntimeError("%s.backward returned %d gradients for %d inputs"
                               % (function.__name__, len(input_grads), len(inputs)))
        for parent, g in zip(inputs, input_grads):
            if g is None or not isinstance(parent, TensorBase) or not parent.requires_grad:
                continue
            if g.shape != parent._data.shape:
                raise RuntimeError("%s.backward returned a gradient of shape %s for an input "
                                   "of shape %s" % (function.__name__, tuple(g.shape),
                                                    tuple(parent._data.shape)))
            pkey = id(parent)
            if pkey in grads:
                grads[pkey] = grads[pkey] + g
                fresh.add(pkey)
                continue
            grads[pkey] = g
            if function.fresh_gradients:
                fresh.add(pkey)
            if parent._node is None:
                leaves.append(parent)
            else:
                _heappush(heap, (-parent._node._seq, parent))
        if not retain_graph:
            _release(node)
    for leaf in leaves:
        key = id(leaf)
        _accumulate(leaf, grads.pop(key), key in fresh)


def _check_versions(node: Context) -> None:
    """Raise if a Tensor whose memory node's forward saved was changed in place since."""
    for box, expected, position in node._versions:
        if box[0] != expected:
            item = node.saved_tensors[position]
            data = item._data if isinstance(item, TensorBase) else item
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by "
                "an inplace operation: [%s tensor of shape %s], saved by %s (saved tensor "
                "%d), is at version %d; expected version %d instead. Hint: an in-place "
                "change (add_, mul_, zero_, t[i] = ..., an optimizer step) came between "
                "this op's forward and backward(); make it after backward(), or change a "
                "clone() instead." % (data.dtype, tuple(data.shape), node.name(), position,
                                      box[0], expected))


def _release(node: Context) -> None:
    """Free what forward saved for backward; the node stays on the graph."""
    node.__dict__.clear()
    node._released = True


def _accumulate(tensor, grad, fresh: bool = False) -> None:
    """tensor.grad += grad (a new Tensor the first time), checking the shape.

    The first time, grad is copied unless `fresh` says that nothing else references it.
    """
    data = tensor._data
    if type(grad) is not _ndarray:
        grad, fresh = as_array(grad), False
    if grad.shape != data.shape:
        raise RuntimeError("gradient of shape %s does not match tensor of shape %s"
                           % (tuple(grad.shape), tuple(data.shape)))
    if grad.dtype != data.dtype:
        grad, fresh = grad.astype(data.dtype), True
    if tensor.grad is None:
        tensor.grad = tensor._new(grad if fresh else grad.copy())
    else:
        tensor.grad._data += grad
        bump_version(tensor.grad)
