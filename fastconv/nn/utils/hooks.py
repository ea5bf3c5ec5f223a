"""Hook plumbing for Module: RemovableHandle and BackwardHook (full backward hooks).

A full backward hook needs, once per backward pass, all the gradients with respect to a
module call's Tensor outputs and then all those with respect to its Tensor inputs. The
tape has one node per tensor, so BackwardHook joins a group of tensors into one empty
"joint" tensor and gives the module a view of each through its own node:

    x1 --+                 +--> x1' (data of x1) --> ...the module...
    x2 --+--> joint (0,) --+--> x2' (data of x2) -->

In backward each x_i' node parks its gradient with the group and passes an empty one on
to the joint, which the tape therefore reaches only after all of them; the joint's node
then hands the parked gradients to the hook at once and returns them (or the hook's
replacements) as the gradients of x1, x2. Outputs are grouped the same way.
"""
import itertools
import warnings
import weakref
from collections import OrderedDict
from typing import Any, Callable, List, Optional, Sequence, Tuple

from ...autograd import Function, Tensor, is_grad_enabled

_next_id = itertools.count()


class RemovableHandle:
    """Returned by the register_*_hook methods: remove() unregisters the hook (also on
    leaving a `with` block); `id` is its key in the module's hook dict."""

    def __init__(self, hooks_dict: "OrderedDict[int, Any]", *, extra_dict=None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(_next_id)
        extras = [] if extra_dict is None else (
            extra_dict if isinstance(extra_dict, list) else [extra_dict])
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self) -> None:
        hooks = self.hooks_dict_ref()
        if hooks is not None:
            hooks.pop(self.id, None)
        for ref in self.extra_dict_ref:
            extra = ref()
            if extra is not None:
                extra.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


# ------------------------------------------------------------------ joining tensors

class _Group:
    """The gradients parked by one group's views during a backward pass."""

    def __init__(self, size: int, on_all: Callable[[List[Any]], Sequence[Any]]) -> None:
        self.grads: List[Any] = [None] * size
        self.on_all = on_all


class _Join(Function):
    """joint = an empty array; backward: the parked gradients, through on_all."""

    @staticmethod
    def forward(ctx, *arrays, group=None):
        ctx.group = group
        ctx.empty = arrays[0][:0].reshape(0)
        return ctx.empty

    @staticmethod
    def backward(ctx, grad):
        group = ctx.group
        grads, group.grads = group.grads, [None] * len(group.grads)
        return tuple(group.on_all(grads))


class _View(Function):
    """x' = x's array, linked to the joint; backward parks the gradient with the group."""

    @staticmethod
    def forward(ctx, joint, array, group=None, index=0):
        ctx.group, ctx.index, ctx.empty = group, index, joint
        return array

    @staticmethod
    def backward(ctx, grad):
        ctx.group.grads[ctx.index] = grad
        return ctx.empty, None


def _join(values: Tuple[Any, ...], on_all) -> Tuple[Tuple[Any, ...], Optional[List[int]]]:
    """values with every Tensor that requires grad replaced by its view in one group, and
    the positions replaced (None, values unchanged, when there are none or grad mode is
    off). on_all(grads) gets those tensors' gradients (None where none arrived) and
    returns the gradients to pass on."""
    positions = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
    if not positions or not is_grad_enabled():
        return values, None
    group = _Group(len(positions), on_all)
    joint = _Join.apply(*[values[i] for i in positions], group=group)
    out = list(values)
    for k, i in enumerate(positions):
        out[i] = _View.apply(joint, values[i]._data, group=group, index=k)
    return tuple(out), positions


def _array(value, like: Tensor, what: str):
    """A hook's returned gradient as an array shaped like `like` (None stays None)."""
    if value is None:
        return None
    data = value._data if isinstance(value, Tensor) else value
    if tuple(data.shape) != tuple(like.shape):
        raise RuntimeError("%s hook returned a gradient of shape %s for a tensor of shape %s"
                           % (what, tuple(data.shape), tuple(like.shape)))
    return data


class BackwardHook:
    """One module call's full backward hooks and backward pre-hooks (torch's semantics):

    pre_hook(module, grad_output) -> None or a new grad_output, once the gradients with
    respect to all Tensor outputs are known; hook(module, grad_input, grad_output) ->
    None or a new grad_input, once those with respect to the inputs are. grad_input has
    one entry per positional argument (None for non-Tensors, zeros for a Tensor that got
    no gradient), grad_output one per output (None where no gradient arrived). When no
    input requires grad, the hooks run on the outputs' gradients with grad_input all
    None (and warn, as torch does).
    """

    def __init__(self, module, hooks: List[Callable], pre_hooks: List[Callable]) -> None:
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.grad_outputs: Optional[Tuple[Any, ...]] = None
        self.inputs: Tuple[Any, ...] = ()
        self.input_positions: Optional[List[int]] = None
        self.n_outputs = 0
        self.outputs: Tuple[Any, ...] = ()
        self.output_positions: Optional[List[int]] = None

    def setup_input_hook(self, args: Tuple[Any, ...]) -> Tuple[Any, ...]:
        self.inputs = tuple(args)
        new_args, self.input_positions = _join(self.inputs, self._on_input_grads)
        return new_args

    def setup_output_hook(self, result):
        is_tuple = isinstance(result, tuple)
        if not is_tuple and not isinstance(result, Tensor):
            warnings.warn("For backward hooks to be called, module output should be a Tensor "
                          "or a tuple of Tensors but received %s" % type(result).__name__,
                          stacklevel=3)
            return result
        outputs = result if is_tuple else (result,)
        self.outputs = outputs
        self.n_outputs = len(outputs)
        new, self.output_positions = _join(outputs, self._on_output_grads)
        return new if is_tuple else new[0]

    def _on_output_grads(self, grads: List[Any]) -> List[Any]:
        packed: List[Any] = [None] * self.n_outputs
        for k, i in enumerate(self.output_positions):
            packed[i] = None if grads[k] is None else Tensor(grads[k])
        grad_outputs = tuple(packed)
        for pre_hook in self.pre_hooks:
            replaced = pre_hook(self.module, grad_outputs)
            if replaced is None:
                continue
            if len(replaced) != len(grad_outputs):
                raise RuntimeError("Backward pre hook returned an invalid number of "
                                   "grad_output, got %d, but expected %d"
                                   % (len(replaced), len(grad_outputs)))
            grad_outputs = tuple(replaced)
        self.grad_outputs = grad_outputs
        if self.input_positions is None:
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients",
                          UserWarning, stacklevel=2)
            grad_inputs = (None,) * len(self.inputs)
            for hook in self.hooks:
                res = hook(self.module, grad_inputs, grad_outputs)
                if res is not None and not (isinstance(res, tuple)
                                            and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return [_array(grad_outputs[i], self.outputs[i], "Backward pre")
                for i in self.output_positions]

    def _on_input_grads(self, grads: List[Any]) -> List[Any]:
        if self.grad_outputs is None:   # the outputs were bypassed: nothing to report
            return grads
        arrived = dict(zip(self.input_positions, grads))
        packed: List[Any] = []
        for i, value in enumerate(self.inputs):
            if not isinstance(value, Tensor):
                packed.append(None)
            elif arrived.get(i) is not None:
                packed.append(Tensor(arrived[i]))
            else:   # a Tensor the gradient did not reach: zeros, as torch gives
                zeros = value._data.copy()
                zeros[...] = 0
                packed.append(Tensor(zeros))
        grad_inputs = tuple(packed)
        for hook in self.hooks:
            replaced = hook(self.module, grad_inputs, self.grad_outputs)
            if replaced is None:
                continue
            if len(replaced) != len(grad_inputs):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                   "got %d, but expected %d"
                                   % (len(replaced), len(grad_inputs)))
            grad_inputs = tuple(replaced)
        self.grad_outputs = None
        return [_array(grad_inputs[i], self.inputs[i], "Backward")
                for i in self.input_positions]
