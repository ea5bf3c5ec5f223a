"""The gradient reducer behind DistributedDataParallel: buckets, hooks, overlap.

Parameters are packed, in reverse registration order (roughly the order backward
produces their gradients), into buckets of one dtype and at most `bucket bytes` each
(the first bucket smaller, so that communication starts early). Each bucket owns one
contiguous flat buffer. In backward, each parameter's post-accumulate-grad hook copies
its finished .grad into its slot; when a bucket's last slot is filled, one
non-blocking allreduce (MPI_Iallreduce) of the whole buffer starts, while backward goes
on with the layers below. Buckets start strictly in index order (a bucket that fills
early waits for the ones before it), so every rank issues the same collectives in the
same order. MPI libraries move a non-blocking collective forward only inside MPI calls,
so while buckets are in flight a progress thread calls into MPI every 50 microseconds
(it sleeps in between, and holds no GIL while the kernels run); without it (MPI
without MPI_THREAD_MULTIPLE, or progress_thread=False) each hook tests the started
requests instead, which moves them only between layers. When the last bucket has
started, the reducer waits for all of them, divides by the world size
and copies the averages back into each .grad: by the time backward() returns, every
rank holds the same averaged gradients.
"""
import atexit
import threading
import time
import weakref
from typing import Any, List, Optional

import numpy as np

from ..autograd.tensor_base import bump_version
from ._mpi import mpi

FIRST_BUCKET_BYTES = 1024 * 1024   # torch's first-bucket cap, so that the first allreduce starts early
PROGRESS_INTERVAL = 50e-6          # seconds between the progress thread's calls into MPI


class ProgressThread:
    """A daemon thread that, while active, calls MPI_Iprobe on `comm` every `interval`
    seconds: any MPI call drives the library's progress engine, and so the started
    non-blocking collectives (a probe never matches collective traffic, and never
    touches their requests, which only the main thread completes)."""

    _all = weakref.WeakSet()

    def __init__(self, comm, interval: float = PROGRESS_INTERVAL) -> None:
        self._comm, self._interval = comm, interval
        self._active = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="fastconv-mpi-progress",
                                        daemon=True)
        self._thread.start()
        ProgressThread._all.add(self)

    def _run(self) -> None:
        MPI = mpi()
        probe, sleep, active = self._comm.Iprobe, time.sleep, self._active
        while True:
            active.wait()
            if self._closed:
                return
            while active.is_set() and not self._closed:
                probe(MPI.ANY_SOURCE, MPI.ANY_TAG)
                sleep(self._interval)

    def start(self) -> None:
        self._active.set()

    def stop(self) -> None:
        self._active.clear()

    def close(self) -> None:
        """End the thread (before MPI is finalised)."""
        self._closed = True
        self._active.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()


@atexit.register
def _close_progress_threads() -> None:   # before mpi4py finalises MPI (a later Py_AtExit hook)
    for thread in list(ProgressThread._all):
        thread.close()


class Bucket:
    """Some parameters of one dtype and the flat buffer their gradients meet in."""

    def __init__(self, params: List[Any], dtype: np.dtype) -> None:
        self.params = params
        self.offsets = []
        offset = 0
        for p in params:
            self.offsets.append(offset)
            offset += p._data.size
        self.flat = np.zeros(offset, dtype=dtype)
        self.missing = len(params)     # slots not yet filled in this backward
        self.request = None

    @property
    def nbytes(self) -> int:
        return self.flat.nbytes


def make_buckets(params: List[Any], bucket_bytes: int,
                 first_bucket_bytes: int = FIRST_BUCKET_BYTES) -> List[Bucket]:
    """Parameters in reverse order, cut into buckets of one dtype and at most
    bucket_bytes (the first at most min(first_bucket_bytes, bucket_bytes)); a
    parameter larger than the cap gets a bucket of its own."""
    buckets = []
    open_ = {}                  # dtype -> (params, bytes) of the bucket being filled
    cap = min(first_bucket_bytes, bucket_bytes)
    for p in reversed(params):
        dtype = p._data.dtype
        members, size = open_.get(dtype, ([], 0))
        if members and size + p._data.nbytes > cap:
            buckets.append(Bucket(members, dtype))
            cap = bucket_bytes
            members, size = [], 0
        members.append(p)
        open_[dtype] = (members, size + p._data.nbytes)
    for dtype, (members, _) in open_.items():
        if members:
            buckets.append(Bucket(members, dtype))
    return buckets


class CommStats:
    """What the reducer has done since it was made (or since reset())."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.reductions = 0        # backward passes whose gradients were averaged
        self.wait_seconds = 0.0    # time spent blocked on allreduces after the last bucket started
        self.bytes = 0             # gradient bytes allreduced (per rank)

    def __repr__(self) -> str:
        return ("CommStats(reductions=%d, wait_seconds=%.6f, bytes=%d)"
                % (self.reductions, self.wait_seconds, self.bytes))


class Reducer:
    """Averages the gradients of `params` over `comm` during backward (see the module
    docstring). expect_sync is set by DistributedDataParallel.forward: False under
    no_sync(), when gradients only accumulate locally."""

    def __init__(self, params: List[Any], comm: Any, bucket_bytes: int,
                 progress_thread: bool = True) -> None:
        self.comm = comm
        self.world = comm.Get_size()
        self.params = params
        self.buckets = make_buckets(params, bucket_bytes)
        self.slot = {}               # id(param) -> (bucket index, offset)
        for index, bucket in enumerate(self.buckets):
            for p, offset in zip(bucket.params, bucket.offsets):
                self.slot[id(p)] = (index, offset)
        self.expect_sync = False
        self.stats = CommStats()
        self._filled = set()         # ids of the parameters whose slot is filled
        self._next_launch = 0        # the next bucket to start
        self._requests = []          # the started buckets' requests
        self._unused = ()            # parameters known to get no gradient in this backward
        MPI = mpi()
        self.progress = None
        if progress_thread and comm.Get_size() > 1 and \
                MPI.Query_thread() == MPI.THREAD_MULTIPLE:
            self.progress = ProgressThread(comm)
        me = weakref.ref(self)
        self._handles = [p.register_post_accumulate_grad_hook(
            lambda p, me=me: _on_grad_ready(me, p)) for p in params]

    def __del__(self) -> None:
        for handle in getattr(self, "_handles", ()):
            handle.remove()
        if getattr(self, "progress", None) is not None:
            self.progress.close()

    # ------------------------------------------------------------ one backward's reduction
    def in_progress(self) -> bool:
        """True when some gradients of the last backward were packed but not averaged."""
        return bool(self._filled) or self._next_launch > 0

    def discard_prefilled(self) -> bool:
        """Forget a reduction that got nothing but prepare()'s unused slots (its forward
        was never differentiated); True if that was the case."""
        if self._next_launch == 0 and self._filled == {id(p) for p in self._unused}:
            self._reset()
            return True
        return False

    def prepare(self, unused: List[Any] = ()) -> None:
        """Before a backward that will sync: parameters in `unused` get no gradient from
        it, so their slots are filled now (with their .grad so far, or zeros)."""
        self.expect_sync = True
        self._unused = unused
        for p in unused:
            self._fill(p)

    def grad_ready(self, p: Any) -> None:
        """A parameter's gradient is complete: pack it, start the buckets now full."""
        if not self.expect_sync:
            return
        key = id(p)
        if key in self._filled:
            raise RuntimeError(
                "Expected to mark a variable ready only once: parameter of shape %s got a "
                "second gradient in one backward of DistributedDataParallel (a parameter "
                "used by two backward() calls on one forward's graph, without no_sync())"
                % (tuple(p.shape),))
        self._fill(p)

    def _fill(self, p: Any) -> None:
        index, offset = self.slot[id(p)]
        bucket = self.buckets[index]
        n = p._data.size
        if p.grad is None:
            bucket.flat[offset:offset + n] = 0
        else:
            bucket.flat[offset:offset + n] = p.grad._data.reshape(-1)
        self._filled.add(id(p))
        bucket.missing -= 1
        if bucket.missing == 0:
            self._launch_ready()
        elif self._requests and self.progress is None:
            mpi().Request.Testall(self._requests)   # let MPI progress the started ones

    def _launch_ready(self) -> None:
        MPI = mpi()
        buckets = self.buckets
        while self._next_launch < len(buckets) and buckets[self._next_launch].missing == 0:
            bucket = buckets[self._next_launch]
            bucket.request = self.comm.Iallreduce(MPI.IN_PLACE, bucket.flat, op=MPI.SUM)
            self._requests.append(bucket.request)
            self._next_launch += 1
        if self._next_launch == len(buckets):
            self._finish()
        elif self.progress is not None:
            self.progress.start()
        else:
            MPI.Request.Testall(self._requests)

    def _finish(self) -> None:
        """Wait for every bucket, average, write the averages into the .grads."""
        if self.progress is not None:
            self.progress.stop()
        start = time.perf_counter()
        mpi().Request.Waitall(self._requests)
        self.stats.wait_seconds += time.perf_counter() - start
        from ..autograd import Tensor
        for bucket in self.buckets:
            np.divide(bucket.flat, self.world, out=bucket.flat)
            for p, offset in zip(bucket.params, bucket.offsets):
                n = p._data.size
                average = bucket.flat[offset:offset + n].reshape(p._data.shape)
                if p.grad is None:
                    p.grad = Tensor(average.copy())
                else:
                    p.grad._data[...] = average
                    bump_version(p.grad)
            self.stats.bytes += bucket.nbytes
        self.stats.reductions += 1
        self._reset()

    def _reset(self) -> None:
        for bucket in self.buckets:
            bucket.missing = len(bucket.params)
            bucket.request = None
        self._requests = []
        self._filled.clear()
        self._next_launch = 0
        self._unused = ()
        self.expect_sync = False


def _on_grad_ready(reducer_ref: "weakref.ref[Reducer]", p: Any) -> None:
    reducer = reducer_ref()
    if reducer is not None:
        reducer.grad_ready(p)


def missing_params_message(reducer: Reducer) -> str:
    """torch's explanation of an unfinished reduction, naming the parameters concerned."""
    missing = [tuple(p.shape) for p in reducer.params if id(p) not in reducer._filled]
    return ("Expected to have finished reduction in the prior iteration before starting a "
            "new one. This error indicates that your module has parameters that were not "
            "used in producing loss (%d parameters got no gradient, shapes %s). You can "
            "enable unused parameter detection by passing the keyword argument "
            "`find_unused_parameters=True` to `DistributedDataParallel`, and by making sure "
            "all `forward` function outputs participate in calculating loss."
            % (len(missing), missing[:8]))
