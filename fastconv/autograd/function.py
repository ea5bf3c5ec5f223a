"""Function: one differentiable op, its forward and backward side by side; and the tape walk.

A Function subclass defines

    @staticmethod
    def forward(ctx, *args, **kwargs) -> array          # Tensor args arrive as raw arrays
    @staticmethod
    def backward(ctx, grad_output) -> grad or tuple      # one entry per positional arg

`Function.apply(*args, **kwargs)` unwraps Tensors, runs forward and, when any input
requires grad (and grad mode is on), links the output Tensor to a Node holding the
context and the inputs. backward() walks those Nodes in reverse topological order.
"""
from typing import Any, Dict, List, Optional, Tuple

from .grad_mode import is_grad_enabled

# tensor.py imports this module, so it hands its Tensor class over once defined
# (a function-level import would cost about a microsecond on every op).
Tensor: Any = None

_NO_GRADS: Dict[int, Tuple[bool, ...]] = {}


class Context:
    """What forward leaves for backward: saved arrays, flags, anything else as attributes."""

    saved_tensors: Tuple[Any, ...] = ()   # class default: nothing saved, no per-op tuple

    def __init__(self, needs_input_grad: Tuple[bool, ...]):
        self.needs_input_grad = needs_input_grad

    def save_for_backward(self, *arrays) -> None:
        self.saved_tensors = arrays


class Node:
    """One recorded application of a Function: the graph edge from an output to its inputs."""

    __slots__ = ("function", "ctx", "inputs")

    def __init__(self, function, ctx: Context, inputs: Tuple[Any, ...]):
        self.function = function
        self.ctx = ctx
        self.inputs = inputs  # Tensors (requiring grad or not) or None, per positional arg

    def __repr__(self) -> str:
        return "<%sBackward>" % self.function.__name__


class Function:
    """Base class of differentiable ops."""

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
        return cls.apply_with_context(*args, **kwargs)[0]

    @classmethod
    def apply_with_context(cls, *args, **kwargs):
        """Like apply, but also return the Context (for ops with extra, non-differentiable
        outputs such as max_pool2d's indices)."""
        tensor_cls = Tensor
        raw, needs = [], []
        for a in args:
            if isinstance(a, tensor_cls):
                raw.append(a.data)
                needs.append(a.requires_grad)
            else:
                raw.append(a)
                needs.append(False)
        if True in needs and is_grad_enabled():
            ctx = Context(tuple(needs))
            result = tensor_cls(cls.forward(ctx, *raw, **kwargs), requires_grad=True)
            inputs = tuple([a if isinstance(a, tensor_cls) else None for a in args])
            result._node = Node(cls, ctx, inputs)
            return result, ctx
        ctx = Context(_no_grads(len(args)))
        return tensor_cls(cls.forward(ctx, *raw, **kwargs)), ctx


def _no_grads(n: int) -> Tuple[bool, ...]:
    """(False,) * n, built once per arity."""
    needs = _NO_GRADS.get(n)
    if needs is None:
        needs = _NO_GRADS[n] = (False,) * n
    return needs


def _topological_order(root) -> List[Any]:
    """Tensors reachable from root through recorded Nodes, each after all its consumers."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor._node is not None:
            for parent in tensor._node.inputs:
                if parent is not None and parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    order.reverse()
    return order


def run_backward(root, gradient, retain_graph: bool = False) -> None:
    """Propagate `gradient` (an array shaped like root) from root to every leaf's .grad."""
    grads = {id(root): gradient}
    fresh = set()   # keys whose gradient array nothing else references
    for tensor in _topological_order(root):
        key = id(tensor)
        grad = grads.pop(key, None)
        if grad is None:
            continue
        node: Optional[Node] = tensor._node
        if node is None or tensor._retains_grad:
            _accumulate(tensor, grad, key in fresh)
        if node is None:
            continue
        if node.ctx is None:
            raise RuntimeError("Trying to backward through the graph a second time; "
                               "pass retain_graph=True to the first backward() call")
        input_grads = node.function.backward(node.ctx, grad)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        if len(input_grads) < len(node.inputs):
            raise RuntimeError("%s.backward returned %d gradients for %d inputs"
                               % (node.function.__name__, len(input_grads), len(node.inputs)))
        for parent, g in zip(node.inputs, input_grads):
            if parent is None or g is None or not parent.requires_grad:
                continue
            if g.shape != parent.data.shape:
                raise RuntimeError("%s.backward returned a gradient of shape %s for an input "
                                   "of shape %s" % (node.function.__name__, tuple(g.shape),
                                                    tuple(parent.shape)))
            key = id(parent)
            if key in grads:
                grads[key] = grads[key] + g
                fresh.add(key)
            else:
                grads[key] = g
                if node.function.fresh_gradients:
                    fresh.add(key)
        if not retain_graph:
            node.ctx = None


def _accumulate(tensor, grad, fresh: bool = False) -> None:
    """tensor.grad += grad (a new Tensor the first time), checking the shape.

    The first time, grad is copied unless `fresh` says that nothing else references it.
    """
    if grad.shape != tensor.data.shape:
        raise RuntimeError("gradient of shape %s does not match tensor of shape %s"
                           % (tuple(grad.shape), tuple(tensor.shape)))
    dtype = tensor.data.dtype
    if grad.dtype != dtype:
        grad, fresh = grad.astype(dtype), True
    if tensor.grad is None:
        tensor.grad = Tensor(grad if fresh else grad.copy())
    else:
        tensor.grad.data += grad
