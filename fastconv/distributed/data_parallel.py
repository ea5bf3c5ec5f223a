"""DistributedDataParallel: one model replica per process, gradients averaged over MPI
during backward (torch.nn.parallel.DistributedDataParallel's arguments and behaviour).

Wrapping broadcasts rank 0's parameters and buffers to every rank, so all replicas start
equal; each backward then leaves the same averaged gradients on every rank (reducer.py
says how the allreduces overlap backward), so the same optimizer step keeps them equal.
"""
import contextlib
import zlib
from typing import Any, Dict, Iterator, List, Optional

import numpy as np

from ..autograd import is_grad_enabled
from ..autograd.tensor_base import TensorBase, bump_version
from ..nn.module import Module
from .process_group import get_comm
from .reducer import CommStats, Reducer, missing_params_message

DEFAULT_BUCKET_MB = 25.0   # torch's bucket_cap_mb


class DistributedDataParallel(Module):
    """Wraps `module` (as self.module, so state_dict keys start with "module.") for
    data-parallel training: each process runs forward and backward on its own part of
    the batch, and backward() returns with every rank holding the gradients averaged
    over all ranks.

    bucket_cap_mb (torch's name; `bucket_mb` is accepted too): the size of the gradient
    buckets, in MiB; each bucket is one allreduce, started as soon as its gradients are
    ready. Smaller buckets start sooner and overlap more of backward; larger ones send
    fewer messages. broadcast_buffers: copy rank 0's buffers (batch-norm running
    statistics) to every rank before each forward in training. find_unused_parameters:
    look, after each forward, for parameters that the output does not depend on, so
    that backward does not wait for their gradients. process_group: an mpi4py
    communicator to use instead of init()'s (DDP works on a duplicate of it, so its
    messages never mix with the caller's). progress_thread (fastconv's own): while
    allreduces are in flight, a thread calls into MPI every 50 us so that they advance
    during the kernels of backward (MPI moves them only inside its calls); False leaves
    the cores to the kernels alone, and the allreduces advance between layers. device_ids, output_device, dim and the other
    torch arguments are accepted for ported scripts and ignored (CPU only).
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True, process_group: Any = None,
                 bucket_cap_mb: Optional[float] = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, *, bucket_mb: Optional[float] = None,
                 progress_thread: bool = True) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError("module must be a fastconv.nn.Module, got %s"
                            % type(module).__name__)
        if bucket_cap_mb is not None and bucket_mb is not None and bucket_cap_mb != bucket_mb:
            raise ValueError("bucket_cap_mb and bucket_mb name the same setting; give one")
        size_mb = bucket_mb if bucket_mb is not None else bucket_cap_mb
        size_mb = DEFAULT_BUCKET_MB if size_mb is None else size_mb
        if isinstance(size_mb, bool) or not isinstance(size_mb, (int, float)) or not size_mb > 0:
            raise ValueError("bucket_cap_mb must be a number > 0 (MiB), got %r" % (size_mb,))
        self.module = module
        self.dim = dim
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.bucket_bytes = max(1, int(size_mb * 1024 * 1024))
        self.require_backward_grad_sync = True
        comm = get_comm(process_group).Dup()     # DDP's own channel
        self.process_group = comm
        _check_same_model(module, comm)
        _broadcast_tensors(list(module.parameters()) + list(module.buffers()), comm)
        params = [p for p in module.parameters() if p.requires_grad]
        self._param_list = params
        self.reducer = Reducer(params, comm, self.bucket_bytes, bool(progress_thread))

    @property
    def comm_stats(self) -> CommStats:
        """Reductions done, gradient bytes sent, and the seconds backward spent waiting
        for allreduces after its last bucket started (the communication not hidden)."""
        return self.reducer.stats

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Within this block, forward+backward only accumulate gradients locally; the
        first backward after it averages the accumulated gradients (gradient
        accumulation over several micro-batches with one allreduce)."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        reducer = self.reducer
        if reducer.in_progress() and not reducer.discard_prefilled():
            raise RuntimeError(missing_params_message(reducer))
        if self.training and self.broadcast_buffers:
            buffers = list(self.module.buffers())
            if buffers:
                _broadcast_tensors(buffers, self.process_group)
        output = self.module(*inputs, **kwargs)
        if self.training and is_grad_enabled():
            if self.require_backward_grad_sync:
                unused = _unused_params(output, self._param_list) \
                    if self.find_unused_parameters else ()
                reducer.prepare(unused)
            else:
                reducer.expect_sync = False
        return output


def _check_same_model(module: Module, comm: Any) -> None:
    """Raise on every rank when the ranks' modules differ in parameter shapes or dtypes."""
    shapes = ";".join("%s:%s:%s:%d" % (name, tuple(t.shape), t.dtype, t.requires_grad)
                      for name, t in list(module.named_parameters())
                      + list(module.named_buffers()))
    mine = np.array([zlib.crc32(shapes.encode()), len(shapes)], dtype=np.int64)
    everyone = np.empty((comm.Get_size(), 2), dtype=np.int64)
    comm.Allgather(mine, everyone)
    if not (everyone == mine).all():
        differ = [r for r in range(comm.Get_size()) if not (everyone[r] == mine).all()]
        raise RuntimeError("DistributedDataParallel: the module's parameters and buffers "
                           "(names, shapes, dtypes) differ between ranks %d and %s; every "
                           "rank must wrap the same model" % (comm.Get_rank(), differ))


def _broadcast_tensors(tensors: List[TensorBase], comm: Any) -> None:
    """Copy rank 0's values of `tensors` into every rank's, one message per dtype."""
    by_dtype: Dict[Any, List[TensorBase]] = {}
    for t in tensors:
        by_dtype.setdefault(t._data.dtype, []).append(t)
    for dtype in sorted(by_dtype, key=str):        # the same order on every rank
        group = by_dtype[dtype]
        flat = np.concatenate([t._data.reshape(-1) for t in group]) if group else None
        comm.Bcast(flat, root=0)
        offset = 0
        for t in group:
            n = t._data.size
            t._data[...] = flat[offset:offset + n].reshape(t._data.shape)
            bump_version(t)
            offset += n


def _unused_params(output: Any, params: List[TensorBase]) -> List[TensorBase]:
    """The parameters that no Tensor in `output` (a Tensor, or lists, tuples and dicts of
    them) depends on through the autograd graph."""
    reached = set()
    seen = set()
    stack = []
    for t in _tensors_in(output):
        if t._node is None:
            reached.add(id(t))
        else:
            stack.append(t._node)
    while stack:
        node = stack.pop()
        if id(node) in seen or node._inputs is None:
            continue
        seen.add(id(node))
        inputs = node._inputs if type(node._inputs) is tuple else (node._inputs,)
        for parent in inputs:
            if not isinstance(parent, TensorBase) or not parent.requires_grad:
                continue
            if parent._node is None:
                reached.add(id(parent))
            else:
                stack.append(parent._node)
    return [p for p in params if id(p) not in reached]


def _tensors_in(value: Any) -> Iterator[TensorBase]:
    if isinstance(value, TensorBase):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors_in(item)
