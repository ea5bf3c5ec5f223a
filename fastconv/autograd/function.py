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
The built-in Tensor methods enter through apply_unary/apply_binary/apply_multi, the same
recording without apply's scan of its arguments.

Version counters (as PyTorch's): every in-place op bumps its tensor's version, shared with
the tensor's views. When forward saved something (ctx.save_for_backward), recording notes
the versions of the op's input Tensors and of its output; before running the op's
backward, each saved array (or Tensor) is matched to the input it is or is a view of, or
to the output, and a RuntimeError naming the op is raised if that Tensor's version has
changed since: its gradient would be wrong. Arrays that forward made itself (copies), or
keeps as plain ctx attributes, are not checked.
"""
import heapq
import itertools
import weakref
from typing import Any, Tuple

import numpy as np

from .grad_mode import _state
from .tensor_base import (TensorBase, as_array, bump_version, memory_root, new_tensor,
                          share_version_if_view, version_box)

_NO_GRADS = [(False,) * n for n in range(8)]                 # by arity
_FIRST_ONLY = [(True,) + (False,) * n for n in range(8)]     # by number of extra args
_sequence = itertools.count()
_heappush, _heappop = heapq.heappush, heapq.heappop
_new_object = object.__new__
_weakref = weakref.ref
_ndarray = np.ndarray


class Context:
    """What forward leaves for backward (saved arrays, flags, anything else as attributes),
    and, once recorded, the op's node on the tape (a tensor's grad_fn)."""

    # _inputs: the op's positional arguments (a tuple), or its one Tensor argument (from
    # apply_unary: one object fewer per op for the garbage collector to track); None once
    # backward has freed the node (retain_graph=False).
    __slots__ = ("needs_input_grad", "_function", "_inputs", "_seq", "__dict__")

    # Class defaults, so that an op sets only what it has: what forward saved (and the
    # versions noted for it), the outputs of a multi-output op.
    saved_tensors: Tuple[Any, ...] = ()
    _versions = None
    _outputs = None

    def __init__(self, needs_input_grad: Tuple[bool, ...]):
        self.needs_input_grad = needs_input_grad
        self._function = None
        self._inputs = ()

    def save_for_backward(self, *arrays) -> None:
        """Keep these arrays (or Tensors) for backward, as ctx.saved_tensors."""
        self.saved_tensors = arrays

    def name(self) -> str:
        """The recorded op's name, as "MulBackward"."""
        function = self._function
        if function is None:
            return "UnrecordedBackward"
        return "%sBackward" % (function.op_name or function.__name__)

    def __repr__(self) -> str:
        return "<%s>" % self.name()


class Function:
    """Base class of differentiable ops."""

    # The op's name in grad_fn's repr and in errors, when not the class name (the fast
    # variants of an op, as MulScalar, report the op: "MulBackward").
    op_name = None

    # True when forward returns a list of arrays (split's pieces): apply_multi makes one
    # Tensor of each, and backward gets one gradient per output.
    multi_output = False

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
    raw, needs, tensors = [], [], []
    record = False
    for a in args:
        if isinstance(a, TensorBase):
            raw.append(a._data)
            tensors.append(a)
            if a.requires_grad:
                record = True
                needs.append(True)
            else:
                needs.append(False)
        else:
            raw.append(a)
            needs.append(False)
    if not tensors:
        raise TypeError("%s.apply needs at least one Tensor argument" % function.__name__)
    ctx = _new_object(Context)
    ctx._function = function
    if record and _state.enabled:
        ctx.needs_input_grad = tuple(needs)
        out = function.forward(ctx, *raw, **kwargs)
        ctx._inputs = args
        return _recorded(ctx, out, tensors), ctx
    ctx.needs_input_grad = _no_grads(len(args))
    out = function.forward(ctx, *raw, **kwargs)
    return _unrecorded(function, out, tensors), ctx


def apply_unary(function, x, *extra):
    """function.apply(x, *extra) for a Tensor x and non-Tensor extra arguments, without
    apply's argument scan: the path of the built-in Tensor methods."""
    ctx = _new_object(Context)
    ctx._function = function
    if x.requires_grad and _state.enabled:
        ctx.needs_input_grad = _FIRST_ONLY[len(extra)]
        out = function.forward(ctx, x._data, *extra)
        ctx._inputs = x   # the one Tensor input: no tuple for the garbage collector to track
        return _recorded(ctx, out, (x,))
    ctx.needs_input_grad = _NO_GRADS[len(extra) + 1]
    return _unrecorded(function, function.forward(ctx, x._data, *extra), (x,))


def apply_binary(function, a, b):
    """function.apply(a, b) for two Tensors, without apply's argument scan."""
    ctx = _new_object(Context)
    ctx._function = function
    need_a, need_b = a.requires_grad, b.requires_grad
    if (need_a or need_b) and _state.enabled:
        ctx.needs_input_grad = (need_a, need_b)
        out = function.forward(ctx, a._data, b._data)
        inputs = ctx._inputs = (a, b)
        return _recorded(ctx, out, inputs)
    ctx.needs_input_grad = _NO_GRADS[2]
    return _unrecorded(function, function.forward(ctx, a._data, b._data), (a,))


def apply_multi(function, x, *extra):
    """function(x, *extra) for an op whose forward returns a list of arrays, each a view of
    x (split, chunk, unbind): a tuple of Tensors made by one node, whose backward gets one
    gradient per output (None for outputs that none reached)."""
    ctx = _new_object(Context)
    ctx._function = function
    record = x.requires_grad and _state.enabled
    ctx.needs_input_grad = _FIRST_ONLY[len(extra)] if record else _NO_GRADS[len(extra) + 1]
    pieces = function.forward(ctx, x._data, *extra)
    box = version_box(x)
    outputs = []
    for piece in pieces:
        t = new_tensor(x._result_class, piece, ctx if record else None)
        t._version_box = box
        outputs.append(t)
    if record:
        ctx._inputs = x
        ctx._seq = next(_sequence)
        ctx._outputs = [_weakref(t) for t in outputs]
    return tuple(outputs)


def _unrecorded(function, out, tensors):
    """A Tensor around forward's output that records nothing."""
    first = tensors[0]
    t = _new_object(first._result_class)
    t._data = out if type(out) is _ndarray else as_array(out)
    t.requires_grad = False
    t.grad = None
    t._node = None
    t._retains_grad = False
    t._version_box = None
    if function.returns_view:
        share_version_if_view(first, t)
    return t


def _recorded(ctx, out, tensors):
    """The Tensor around forward's output, made by ctx (whose _inputs are set); when
    forward saved anything, with a snapshot of the input Tensors' and the output's
    versions (checked against what was saved in backward, see _check_versions)."""
    ctx._seq = next(_sequence)
    first = tensors[0]
    t = _new_object(first._result_class)
    t._data = out = out if type(out) is _ndarray else as_array(out)
    t.requires_grad = True
    t.grad = None
    t._node = ctx
    t._retains_grad = False
    t._version_box = None
    if ctx._function.returns_view:
        share_version_if_view(first, t)
    if ctx.saved_tensors:
        versions = []
        for tensor in tensors:
            box = tensor._version_box
            versions.append(0 if box is None else box[0])
        box = t._version_box
        if box is None:
            box = t._version_box = [0]
        ctx._versions = (tensors, versions, id(out), box, box[0])
    return t


def _no_grads(n: int) -> Tuple[bool, ...]:
    """(False,) * n."""
    return _NO_GRADS[n] if n < len(_NO_GRADS) else (False,) * n


def run_backward(root, gradient, retain_graph: bool = False) -> None:
    """Propagate `gradient` (an array shaped like root) from root to every leaf's .grad."""
    if root._node is None:
        _accumulate(root, gradient)
        _run_post_accumulate_hooks(root)
        return
    # leaves with post-accumulate-grad hooks: id -> edges still to deliver a gradient
    pending = _count_hooked_edges(root._node) if _post_accumulate_hooks else None
    grads = {id(root): gradient}   # id(tensor) -> its gradient so far
    fresh = set()                  # keys whose gradient array nothing else references
    leaves = []
    # newest Context first (seqs are unique but for the outputs of one multi-output op)
    heap = [(-root._node._seq, id(root), root)]
    while heap:
        tensor = _heappop(heap)[2]
        key = id(tensor)
        node = tensor._node
        if node._inputs is None:         # freed by an earlier backward
            if not node._function.multi_output or key in grads:
                raise RuntimeError("Trying to backward through the graph a second time; "
                                   "pass retain_graph=True to the first backward() call")
            continue                     # a multi-output op that ran for another output
        if node._versions is not None:
            _check_versions(node)
        function = node._function
        if not function.multi_output:
            grad = grads.pop(key)
            if tensor._retains_grad:
                _accumulate(tensor, grad, key in fresh)
            input_grads = function.backward(node, grad)
        elif key in grads:               # the first of the op's outputs to come up
            input_grads = function.backward(node, *_output_grads(node, grads, fresh))
        else:                            # the op ran when another output came up
            continue
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        inputs = node._inputs
        if type(inputs) is not tuple:    # apply_unary's single Tensor input
            inputs = (inputs,)
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
            pnode = parent._node
            if pnode is None:
                leaves.append(parent)
            else:
                _heappush(heap, (-pnode._seq, pkey, parent))
        if pending:
            _settle_hooked_leaves(inputs, pending, grads, fresh)
        if not retain_graph:
            _release(node)
    for leaf in leaves:
        key = id(leaf)
        grad = grads.pop(key, None)
        if grad is not None:             # None: settled early, its hooks have run
            _accumulate(leaf, grad, key in fresh)
            if _post_accumulate_hooks:
                _run_post_accumulate_hooks(leaf)


def _output_grads(node: Context, grads, fresh):
    """The gradients of each output of a multi-output op (None where none arrived)."""
    output_grads = []
    for ref in node._outputs:
        t = ref()
        g = None if t is None else grads.pop(id(t), None)
        if g is not None and t._retains_grad:
            _accumulate(t, g, id(t) in fresh)
        output_grads.append(g)
    return output_grads


def _check_versions(node: Context) -> None:
    """Raise if memory that node's forward saved was changed in place since: each saved
    array is matched to the input Tensor it is (or is a view of), or to the output, and
    that Tensor's version now is compared with the one noted when the op was recorded.
    Arrays forward made itself (copies) match nothing and need no check."""
    tensors, versions, out_id, out_box, out_version = node._versions
    for position, item in enumerate(node.saved_tensors):
        if item is None:
            continue
        if isinstance(item, TensorBase):
            item = item._data
        if id(item) == out_id:                    # the output (alive: it is saved)
            current, expected = out_box[0], out_version
        else:
            i = _input_position(item, tensors)
            if i is None:
                continue
            box = tensors[i]._version_box
            current, expected = (0 if box is None else box[0]), versions[i]
        if current != expected:
            data = item
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by "
                "an inplace operation: [%s tensor of shape %s], saved by %s (saved tensor "
                "%d), is at version %d; expected version %d instead. Hint: an in-place "
                "change (add_, mul_, zero_, t[i] = ..., an optimizer step) came between "
                "this op's forward and backward(); make it after backward(), or change a "
                "clone() instead." % (data.dtype, tuple(data.shape), node.name(), position,
                                      current, expected))


def _input_position(item, tensors):
    """The position among `tensors` of the one whose array `item` is, or is a view of."""
    for i, t in enumerate(tensors):
        if t._data is item:
            return i
    if not hasattr(item, "base"):
        return None
    root = memory_root(item)
    for i, t in enumerate(tensors):
        if memory_root(t._data) is root:
            return i
    return None


def _release(node: Context) -> None:
    """Free what forward saved for backward, and the references to the inputs."""
    node.__dict__.clear()
    node._inputs = None


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


# ---------------------------------------------------------------- post-accumulate-grad hooks
#
# Tensor.register_post_accumulate_grad_hook(hook) (torch's name): hook(tensor) runs once
# per backward, right after the leaf's .grad has received its whole gradient. So that
# this happens during the walk and not at its end (data-parallel training starts sending
# a layer's gradients while the layers below it are still differentiated), backward
# first counts, for each hooked leaf, the edges through which the graph will hand it a
# gradient; the node that delivers the last one accumulates it and runs the hooks. A
# leaf some of whose edges are never walked (their node got no gradient) is settled
# after the walk, as every other leaf is. Without hooks registered, nothing is counted.

_post_accumulate_hooks = {}   # id(leaf) -> (weakref to the leaf, {handle id: hook})
_hook_ids = itertools.count()


class PostAccumulateGradHookHandle:
    """Returned by register_post_accumulate_grad_hook; remove() unregisters the hook."""

    __slots__ = ("_key", "id")

    def __init__(self, key: int, hook_id: int) -> None:
        self._key, self.id = key, hook_id

    def remove(self) -> None:
        entry = _post_accumulate_hooks.get(self._key)
        if entry is not None:
            entry[1].pop(self.id, None)
            if not entry[1]:
                del _post_accumulate_hooks[self._key]

    def __enter__(self) -> "PostAccumulateGradHookHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def register_post_accumulate_grad_hook(tensor, hook) -> PostAccumulateGradHookHandle:
    """Run hook(tensor) after each backward that accumulated a gradient into this leaf's
    .grad, as soon as its gradient is complete (torch's Tensor method of the same name)."""
    if not callable(hook):
        raise TypeError("hook must be callable, got %s" % type(hook).__name__)
    if tensor._node is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                           "tensors")
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    key = id(tensor)
    entry = _post_accumulate_hooks.get(key)
    if entry is None or entry[0]() is not tensor:
        ref = _weakref(tensor, lambda _, key=key: _forget_hooks(key, ref))
        entry = _post_accumulate_hooks[key] = (ref, {})
    hook_id = next(_hook_ids)
    entry[1][hook_id] = hook
    return PostAccumulateGradHookHandle(key, hook_id)


def _forget_hooks(key: int, ref) -> None:
    """Drop a dead tensor's hooks (unless its id was reused by a tensor with hooks)."""
    entry = _post_accumulate_hooks.get(key)
    if entry is not None and entry[0] is ref:
        del _post_accumulate_hooks[key]


def _hooks_of(tensor):
    entry = _post_accumulate_hooks.get(id(tensor))
    if entry is None or entry[0]() is not tensor:
        return None
    return entry[1]


def _run_post_accumulate_hooks(tensor) -> None:
    hooks = _hooks_of(tensor)
    if hooks:
        for hook in list(hooks.values()):
            hook(tensor)


def _count_hooked_edges(root_node) -> dict:
    """id(leaf) -> how many edges of the graph below root_node lead to that leaf, for the
    leaves that have post-accumulate-grad hooks."""
    counts = {}
    seen = set()
    stack = [root_node]
    while stack:
        node = stack.pop()
        inputs = node._inputs
        if inputs is None:
            continue
        if type(inputs) is not tuple:
            inputs = (inputs,)
        for parent in inputs:
            if not isinstance(parent, TensorBase) or not parent.requires_grad:
                continue
            pnode = parent._node
            if pnode is None:
                if _hooks_of(parent):
                    key = id(parent)
                    counts[key] = counts.get(key, 0) + 1
            elif id(pnode) not in seen:
                seen.add(id(pnode))
                stack.append(pnode)
    return counts


def _settle_hooked_leaves(inputs, pending, grads, fresh) -> None:
    """After a node has handed out its gradients: count one delivered edge for each hooked
    leaf among its inputs; a leaf with none left gets its .grad now, then its hooks run."""
    for parent in inputs:
        key = id(parent)
        left = pending.get(key)
        if left is None:
            continue
        if left > 1:
            pending[key] = left - 1
            continue
        del pending[key]
        grad = grads.pop(key, None)
        if grad is not None:
            _accumulate(parent, grad, key in fresh)
            _run_post_accumulate_hooks(parent)
