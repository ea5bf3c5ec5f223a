"""DataLoader: batches of fastconv Tensors from a dataset, in this process or in workers.

torch.utils.data.DataLoader's arguments and semantics. A batch is fetched in one step
when the dataset can (fastconv's array-backed datasets: one fancy-indexing per array,
the dataset's transform applied to the whole batch), otherwise item by item and
collated. With num_workers > 0 batches are made in worker processes, each seeded
(base seed + worker id) so runs repeat, and come back in order.
"""
import numbers
import time
from typing import Any, Callable, Iterator, List, Optional

import numpy as np

from ._random import SEED_BOUND, check_generator, draw_seed
from ._worker import WorkerError, worker_loop
from .collate import arrays_to_tensors
from .fetch import Fetcher, is_default_collate
from .sampler import BatchSampler, RandomSampler, SequentialSampler

POLL_S = 0.1          # how often a waiting loader checks that its workers live
JOIN_TIMEOUT_S = 5.0  # how long shutdown waits for a worker before terminating it


def _non_negative(value: Any, name: str, kind: type = numbers.Integral) -> Any:
    if isinstance(value, bool) or not isinstance(value, kind) or value < 0:
        raise ValueError("DataLoader: %s must be a non-negative %s, got %r"
                         % (name, "int" if kind is numbers.Integral else "number", value))
    return value


class DataLoader:
    """Iterate over `dataset` in batches (torch.utils.data.DataLoader).

    batch_size: items per batch (None: single items, not collated). shuffle: a new
    random order each epoch. sampler / batch_sampler: the order (or the batches) to
    use instead. drop_last: leave out a last batch smaller than batch_size.
    num_workers: worker processes (0: load in this process). collate_fn: a list of
    items -> a batch (default: default_collate, Tensors). pin_memory,
    pin_memory_device: accepted and ignored (CPU). timeout: seconds to wait for a
    worker's batch (0: forever). worker_init_fn(worker_id): run in each worker after
    seeding. multiprocessing_context: a context or its name ('fork', 'spawn',
    'forkserver'). generator: a numpy Generator for the shuffle order and the
    workers' base seed; without one, both come from fastconv's process-wide generator,
    so fastconv.manual_seed makes them repeat. prefetch_factor: batches in flight per
    worker (default 2). persistent_workers: keep the workers between epochs.

    fastconv's own keywords: seed (an int, the same as generator=default_rng(seed));
    as_numpy=True yields numpy arrays instead of Tensors (for fastconv.ops).
    Batches are fresh arrays: changing one never changes the dataset.
    """

    def __init__(self, dataset: Any, batch_size: Optional[int] = 1,
                 shuffle: Optional[bool] = None, sampler: Any = None,
                 batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Optional[Callable] = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Optional[Callable] = None,
                 multiprocessing_context: Any = None,
                 generator: Optional[np.random.Generator] = None, *,
                 prefetch_factor: Optional[int] = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True,
                 seed: Optional[int] = None, as_numpy: bool = False) -> None:
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, numbers.Integral) or batch_size < 1):
            raise ValueError("batch_size must be an int >= 1 or None, got %r" % (batch_size,))
        self.num_workers = int(_non_negative(num_workers, "num_workers"))
        self.timeout = float(_non_negative(timeout, "timeout", numbers.Real))
        if self.num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified in "
                             "multiprocessing; let num_workers > 0 to enable it, otherwise "
                             "set prefetch_factor to None")
        if prefetch_factor is None:
            prefetch_factor = 2 if self.num_workers else None
        elif isinstance(prefetch_factor, bool) or not isinstance(
                prefetch_factor, numbers.Integral) or prefetch_factor < 1:
            raise ValueError("DataLoader: prefetch_factor must be an int >= 1, got %r"
                             % (prefetch_factor,))
        if persistent_workers and self.num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        for name, fn in (("collate_fn", collate_fn), ("worker_init_fn", worker_init_fn)):
            if fn is not None and not callable(fn):
                raise TypeError("DataLoader: %s must be callable or None, got %s"
                                % (name, type(fn).__name__))
        generator = check_generator(generator, "DataLoader")
        if seed is not None:
            if generator is not None:
                raise ValueError("DataLoader: give seed or generator, not both")
            generator = np.random.default_rng(seed)

        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            if not hasattr(batch_sampler, "__iter__"):
                raise TypeError("DataLoader: batch_sampler must be iterable, got %s"
                                % type(batch_sampler).__name__)
            batch_size = None
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and "
                             "is mutually exclusive with drop_last")
        if sampler is None:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        elif not hasattr(sampler, "__iter__"):
            raise TypeError("DataLoader: sampler must be iterable (a Sampler), got %s"
                            % type(sampler).__name__)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, int(batch_size), bool(drop_last))

        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn
        self.pin_memory = bool(pin_memory)
        self.pin_memory_device = pin_memory_device
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = bool(persistent_workers)
        self.in_order = in_order
        self.seed = seed
        self.as_numpy = bool(as_numpy)
        self._iterator: Optional["_WorkerIter"] = None

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    def __len__(self) -> int:
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def _index_iter(self) -> Iterator[Any]:
        """This epoch's batches of indices (int64 arrays), or single indices."""
        if not self._auto_collation:
            return iter(self.sampler)
        bs = self.batch_sampler
        if isinstance(bs, BatchSampler) and type(bs).__iter__ is BatchSampler.__iter__:
            return bs.index_batches()
        return (_as_index(b) for b in bs)

    def _worker_base_seed(self) -> int:
        """This epoch's worker base seed. A loader's own generator is forked with
        spawn(), which leaves its stream (the shuffle order) as it would be without
        workers; otherwise the seed is drawn from fastconv's generator, as torch does,
        for every epoch with or without workers."""
        if self.generator is not None:
            try:
                return int(self.generator.spawn(1)[0].integers(0, SEED_BOUND))
            except (AttributeError, TypeError, ValueError):
                return draw_seed(self.generator)
        return draw_seed(None)

    def _finish(self, data: Any) -> Any:
        """A fetched batch as the loader yields it: Tensors unless as_numpy or a custom
        collate_fn made it."""
        if isinstance(data, WorkerError):
            data.reraise()
        if self.as_numpy or not is_default_collate(self.collate_fn):
            return data
        return arrays_to_tensors(data)

    def __iter__(self) -> Iterator[Any]:
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None or self._iterator._shut:
                self._iterator = _WorkerIter(self)
            else:
                self._iterator._begin_epoch()
            return self._iterator
        return _WorkerIter(self)

    def __del__(self) -> None:
        it = getattr(self, "_iterator", None)
        if it is not None:
            try:
                it._shutdown()
            except Exception:   # at interpreter exit modules may already be gone
                pass


def _as_index(batch: Any) -> Any:
    """A batch sampler's list as an int64 array, or as it is when not integers."""
    array = np.asarray(batch)
    return array.astype(np.int64).reshape(-1) if array.dtype.kind in "iu" else list(batch)


class _SingleProcessIter:
    """Batches made in this process."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        if loader.generator is None:
            loader._worker_base_seed()   # drawn as torch does, so orders match with workers
        self._indices = loader._index_iter()
        self._fetch = Fetcher(loader.dataset, loader._auto_collation, loader.collate_fn)

    def __iter__(self) -> "_SingleProcessIter":
        return self

    def __next__(self) -> Any:
        return self._loader._finish(self._fetch(next(self._indices)))

    def __len__(self) -> int:
        return len(self._loader)


class _WorkerIter:
    """Batches made by worker processes, yielded in order.

    Batch k goes to worker k % num_workers; at most prefetch_factor batches per worker
    are in flight. Results that arrive early wait in a buffer. Every task carries its
    epoch, so a persistent iterator that starts a new epoch drops stale results.
    """

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._shut = True
        import multiprocessing   # here, not at import: most programs never start workers
        ctx = loader.multiprocessing_context
        if ctx is None or isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        base_seed = loader._worker_base_seed()
        n = loader.num_workers
        self._conns: List[Any] = []
        self._workers: List[Any] = []
        try:
            for worker_id in range(n):
                mine, theirs = ctx.Pipe(duplex=True)
                process = ctx.Process(
                    target=worker_loop, daemon=True,
                    args=(loader.dataset, loader._auto_collation, loader.collate_fn, theirs,
                          (base_seed + worker_id) % SEED_BOUND, loader.worker_init_fn,
                          worker_id, n))
                process.start()
                theirs.close()
                self._conns.append(mine)
                self._workers.append(process)
                self._shut = False
        except BaseException:
            self._shutdown()
            raise
        self._epoch = -1
        self._begin_epoch()

    def _begin_epoch(self) -> None:
        self._epoch += 1
        self._indices = self._loader._index_iter()
        self._exhausted = False
        self._sent = 0
        self._received = 0
        self._in_flight = 0
        self._buffer: dict = {}
        for _ in range(self._loader.prefetch_factor * len(self._workers)):
            self._put_task()

    def _put_task(self) -> None:
        if self._exhausted:
            return
        try:
            index = next(self._indices)
        except StopIteration:
            self._exhausted = True
            return
        self._conns[self._sent % len(self._conns)].send((self._epoch, self._sent, index))
        self._sent += 1
        self._in_flight += 1

    def _receive(self) -> None:
        """Wait for one result of this epoch and buffer it; raise when a worker died
        or the timeout passed."""
        from multiprocessing.connection import wait as wait_for
        timeout = self._loader.timeout
        deadline = time.monotonic() + timeout if timeout > 0 else None
        while True:
            wait = POLL_S if deadline is None else min(POLL_S, max(0.0, deadline - time.monotonic()))
            ready = wait_for(self._conns, timeout=wait)
            for conn in ready:
                try:
                    epoch, number, data = conn.recv()
                except EOFError:
                    continue   # that worker ended; its liveness check below reports it
                if epoch == self._epoch:
                    self._buffer[number] = data
                    self._in_flight -= 1
                    return
            dead = [w for w in self._workers if not w.is_alive()]
            if dead:
                pids = ", ".join(str(w.pid) for w in dead)
                codes = ", ".join(str(w.exitcode) for w in dead)
                self._shutdown()
                raise RuntimeError("DataLoader worker (pid(s) %s) exited unexpectedly "
                                   "(exit code(s) %s)" % (pids, codes))
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError("DataLoader timed out after %g seconds waiting for a batch "
                                   "from its workers" % timeout)

    def __iter__(self) -> "_WorkerIter":
        return self

    def __next__(self) -> Any:
        if self._shut:
            raise StopIteration
        while self._received not in self._buffer:
            if self._in_flight == 0:
                if not self._loader.persistent_workers:
                    self._shutdown()
                raise StopIteration
            self._receive()
        data = self._buffer.pop(self._received)
        self._received += 1
        self._put_task()
        return self._loader._finish(data)

    def __len__(self) -> int:
        return len(self._loader)

    def _shutdown(self) -> None:
        """Stop every worker: ask, wait a little, then terminate; close the pipes."""
        if self._shut:
            return
        self._shut = True
        for conn in self._conns:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
        for conn in self._conns:
            conn.close()   # a worker blocked sending a batch gets BrokenPipeError and ends
        deadline = time.monotonic() + JOIN_TIMEOUT_S
        for w in self._workers:
            w.join(max(0.0, deadline - time.monotonic()))
            if w.is_alive():
                w.terminate()
                w.join(1.0)

    def __del__(self) -> None:
        try:
            self._shutdown()
        except Exception:   # at interpreter exit modules may already be gone
            pass
