"""Collectives on Tensors and numpy arrays: all_reduce, broadcast, all_gather (torch's
names and arguments). Each works in place on the Tensor's (or array's) memory, as in
torch, with one MPI message per call whatever the shape."""
from typing import Any, List, Optional

import numpy as np

from ..autograd.tensor_base import TensorBase, bump_version
from ._mpi import mpi
from .process_group import get_comm


class ReduceOp:
    """The reductions all_reduce offers (torch.distributed.ReduceOp's names)."""

    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    AVG = "avg"      # SUM, then divided by the world size


_OPS = {ReduceOp.SUM: "SUM", ReduceOp.PRODUCT: "PROD", ReduceOp.MIN: "MIN",
        ReduceOp.MAX: "MAX", ReduceOp.AVG: "SUM"}


def mpi_op(op: Any):
    """The MPI.Op of a ReduceOp (or of its name, any case)."""
    key = op.lower() if isinstance(op, str) else op
    if key not in _OPS:
        raise ValueError("op must be one of ReduceOp.SUM, PRODUCT, MIN, MAX, AVG, got %r"
                         % (op,))
    return getattr(mpi(), _OPS[key])


def _array(value: Any, name: str) -> np.ndarray:
    """The numpy array inside a Tensor, or the array itself; others a TypeError."""
    array = value._data if isinstance(value, TensorBase) else value
    if not isinstance(array, np.ndarray):
        raise TypeError("%s must be a fastconv Tensor or a numpy array on the CPU, got %s"
                        % (name, type(array).__name__))
    if array.dtype.kind not in "fiub":
        raise TypeError("%s: unsupported dtype %s" % (name, array.dtype))
    if not array.flags.writeable:
        raise ValueError("%s is read-only; the collective writes its result into it" % name)
    return array


def _touched(value: Any) -> None:
    """Count an in-place change of a Tensor (autograd's version counter)."""
    if isinstance(value, TensorBase):
        bump_version(value)


class Work:
    """A started non-blocking collective (async_op=True): wait() completes it."""

    def __init__(self, request: Any, finish=None) -> None:
        self._request, self._finish = request, finish

    def is_completed(self) -> bool:
        """True once the collective is done (finishing it if so)."""
        if self._request is None or self._request.Test():
            self.wait()
            return True
        return False

    def wait(self, timeout: Any = None) -> bool:
        """Block until the collective is done; True."""
        if self._request is not None:
            self._request.Wait()
            self._request = None
            if self._finish is not None:
                self._finish()
                self._finish = None
        return True


def all_reduce(tensor: Any, op: Any = ReduceOp.SUM, group: Any = None,
               async_op: bool = False) -> Optional[Work]:
    """Reduce `tensor` (a Tensor or numpy array) over every process, in place: afterwards
    each holds the sum (or product, min, max, average) of all processes' values."""
    array = _array(tensor, "tensor")
    comm = get_comm(group)
    MPI = mpi()
    op_mpi = mpi_op(op)
    average = isinstance(op, str) and op.lower() == ReduceOp.AVG
    if average and array.dtype.kind != "f":
        raise TypeError("ReduceOp.AVG needs a floating-point tensor, got %s" % array.dtype)
    contiguous = array.flags.c_contiguous
    buf = array if contiguous else np.ascontiguousarray(array)

    def finish():
        if average:
            np.divide(buf, comm.Get_size(), out=buf)
        if not contiguous:
            array[...] = buf
        _touched(tensor)

    if async_op:
        return Work(comm.Iallreduce(MPI.IN_PLACE, buf, op=op_mpi), finish)
    comm.Allreduce(MPI.IN_PLACE, buf, op=op_mpi)
    finish()
    return None


def broadcast(tensor: Any, src: int = 0, group: Any = None,
              async_op: bool = False) -> Optional[Work]:
    """Copy rank `src`'s `tensor` into every other process's `tensor`, in place."""
    array = _array(tensor, "tensor")
    comm = get_comm(group)
    _check_rank(src, comm, "src")
    contiguous = array.flags.c_contiguous
    buf = array if contiguous else np.ascontiguousarray(array)

    def finish():
        if not contiguous:
            array[...] = buf
        _touched(tensor)

    if async_op:
        return Work(comm.Ibcast(buf, root=src), finish)
    comm.Bcast(buf, root=src)
    finish()
    return None


def all_gather(tensor_list: List[Any], tensor: Any, group: Any = None,
               async_op: bool = False) -> Optional[Work]:
    """tensor_list[r] = rank r's `tensor`, on every process (tensor_list holds one
    Tensor or array per rank, each shaped like `tensor`)."""
    array = np.ascontiguousarray(_array(tensor, "tensor"))
    comm = get_comm(group)
    size = comm.Get_size()
    if not isinstance(tensor_list, (list, tuple)):
        raise TypeError("tensor_list must be a list of %d tensors (one per rank), got %s"
                        % (size, type(tensor_list).__name__))
    if len(tensor_list) != size:
        raise ValueError("tensor_list must hold %d tensors (one per rank), got %d"
                         % (size, len(tensor_list)))
    outs = [_array(t, "tensor_list[%d]" % i) for i, t in enumerate(tensor_list)]
    for i, out in enumerate(outs):
        if out.shape != array.shape or out.dtype != array.dtype:
            raise ValueError("tensor_list[%d] has shape %s and dtype %s; tensor has %s and %s"
                             % (i, out.shape, out.dtype, array.shape, array.dtype))
    gathered = np.empty((size,) + array.shape, dtype=array.dtype)

    def finish():
        for out, item, value in zip(outs, gathered, tensor_list):
            out[...] = item
            _touched(value)

    if async_op:
        return Work(comm.Iallgather(array, gathered), finish)
    comm.Allgather(array, gathered)
    finish()
    return None


def all_gather_array(array: Any, group: Any = None) -> np.ndarray:
    """Every rank's `array` (same shape and dtype everywhere), stacked: (world, *shape)."""
    local = np.ascontiguousarray(array._data if isinstance(array, TensorBase) else array)
    comm = get_comm(group)
    gathered = np.empty((comm.Get_size(),) + local.shape, dtype=local.dtype)
    comm.Allgather(local, gathered)
    return gathered


def _check_rank(rank: Any, comm: Any, name: str) -> None:
    size = comm.Get_size()
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 0 <= rank < size:
        raise ValueError("%s must be a rank in [0, %d], got %r" % (name, size - 1, rank))
