"""The DataLoader's worker processes: their loop, seeding, errors and get_worker_info.

Each worker talks to the loader over its own duplex pipe: the loader sends tasks
(epoch, batch number, indices) or None to stop; the worker answers (epoch, batch
number, batch) or (epoch, batch number, WorkerError). Results are pickled in the
worker's own thread, so a batch that cannot be sent becomes an error in the parent,
never a silent hang. A worker also stops when its parent process is gone.
"""
import os
import pickle
import random
import sys
import traceback
from typing import Any, Callable, Optional

import numpy as np

from .fetch import Fetcher

POLL_S = 0.5   # how often an idle worker checks that its parent still lives


class WorkerInfo:
    """What get_worker_info() returns inside a worker (torch's names)."""

    def __init__(self, id: int, num_workers: int, seed: int, dataset: Any) -> None:
        self.id = id
        self.num_workers = num_workers
        self.seed = seed
        self.dataset = dataset

    def __repr__(self) -> str:
        return "WorkerInfo(id=%d, num_workers=%d, seed=%d)" % (self.id, self.num_workers,
                                                             self.seed)


_worker_info: Optional[WorkerInfo] = None


def get_worker_info() -> Optional[WorkerInfo]:
    """In a DataLoader worker: its id, num_workers, seed and dataset copy; None in the
    main process."""
    return _worker_info


class _KeyErrorMessage(str):
    """A KeyError's message shown as written (KeyError would repr it in quotes)."""

    def __repr__(self) -> str:
        return str(self)


class WorkerError:
    """An exception caught in a worker, carried to the parent and raised there with
    the worker's traceback text."""

    def __init__(self, exc_type: type, traceback_text: str, where: str) -> None:
        self.exc_type = exc_type
        self.traceback_text = traceback_text
        self.where = where

    @classmethod
    def capture(cls, where: str) -> "WorkerError":
        """The exception being handled now."""
        exc_type = type(sys.exc_info()[1])
        try:
            pickle.dumps(exc_type)
        except Exception:
            exc_type = RuntimeError
        return cls(exc_type, traceback.format_exc(), where)

    def reraise(self) -> None:
        message = "Caught %s %s.\nOriginal %s" % (self.exc_type.__name__, self.where,
                                                  self.traceback_text)
        if self.exc_type is KeyError:
            message = _KeyErrorMessage(message)
        try:
            exc = self.exc_type(message)
        except Exception:
            raise RuntimeError(message) from None
        raise exc


def seed_worker(seed: int) -> None:
    """Seed everything a worker may draw from: fastconv's generator (transforms,
    samplers), Python's random and numpy's legacy global generator; one kernel thread."""
    from .. import random as fastconv_random
    fastconv_random.manual_seed(seed)
    random.seed(seed)
    np.random.seed(np.random.SeedSequence(seed).generate_state(4))
    try:
        from .._threads import set_num_threads
        set_num_threads(1)
    except ImportError:   # fastconv built without its native module
        pass


def _send(conn: Any, epoch: int, number: int, data: Any, worker_id: int) -> None:
    try:
        conn.send((epoch, number, data))
    except (pickle.PicklingError, TypeError, AttributeError):
        conn.send((epoch, number, WorkerError.capture(
            "while sending a batch from DataLoader worker process %d" % worker_id)))


def worker_loop(dataset: Any, auto_collation: bool, collate_fn: Optional[Callable],
                conn: Any, seed: int, worker_init_fn: Optional[Callable], worker_id: int,
                num_workers: int) -> None:
    """The body of worker `worker_id`: seed, run worker_init_fn, then serve tasks."""
    global _worker_info
    parent = os.getppid()
    where = "in DataLoader worker process %d" % worker_id
    init_error = None
    try:
        seed_worker(seed)
        _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
        try:
            if worker_init_fn is not None:
                worker_init_fn(worker_id)
            fetcher = Fetcher(dataset, auto_collation, collate_fn)
        except Exception:
            init_error = WorkerError.capture(where)
        while True:
            if not conn.poll(POLL_S):
                if os.getppid() != parent:
                    break
                continue
            task = conn.recv()
            if task is None:
                break
            epoch, number, index = task
            if init_error is not None:
                data = init_error
            else:
                try:
                    data = fetcher(index)
                except Exception:
                    data = WorkerError.capture(where)
            _send(conn, epoch, number, data, worker_id)
            del data
    except (KeyboardInterrupt, EOFError, BrokenPipeError, ConnectionResetError):
        pass   # the parent stopped or went away: just end
    finally:
        conn.close()
