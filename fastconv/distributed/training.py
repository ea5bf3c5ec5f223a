"""What a training script does differently when it runs as one of several processes:
the pieces `fastconv train --distributed` uses, in one object that is a no-op for a
single process (so the command has one code path).

    procs = TrainingProcesses(enabled=args.distributed)
    model = procs.wrap(model)                          # DistributedDataParallel or model
    train_loader = procs.train_loader(train_set, global_batch, seed)
    for epoch in ...:
        procs.set_epoch(epoch)
        stats = procs.reduce_epoch(train_epoch(model, train_loader, ...))
        test = procs.reduce_eval(evaluate(model, procs.test_loader(test_set, batch)))
        if procs.is_main: print(...); save(...)

The global batch is split evenly: each of N processes takes batch / N images of every
step, from its DistributedSampler shard, so N processes take the same steps with the
same global batch as one process would.
"""
import os
from typing import Any, Optional

from ..train import EpochStats, EvalStats


LAUNCHER_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE")


def launched_world_size() -> int:
    """How many processes the MPI launcher started this one among, read from the
    variables mpiexec sets (MPICH/Hydra's PMI_SIZE, Open MPI's OMPI_COMM_WORLD_SIZE,
    PMIx's PMIX_SIZE): 1 when not launched by mpiexec. Reading them needs no MPI, so
    a command can decide whether to start MPI at all."""
    for name in LAUNCHER_SIZE_VARIABLES:
        text = os.environ.get(name, "")
        if text.strip().isdigit():
            return max(1, int(text))
    return 1


class TrainingProcesses:
    """This process's place in a data-parallel run (rank 0 of 1 when not enabled)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = bool(enabled)
        self.rank, self.world, self.local_world = 0, 1, 1
        self._sampler = None
        if self.enabled:
            from . import get_comm, init
            from ._mpi import mpi
            init()                               # an uncaught error on any rank aborts all
            comm = get_comm()
            self.rank, self.world = comm.Get_rank(), comm.Get_size()
            node = comm.Split_type(mpi().COMM_TYPE_SHARED, key=self.rank)
            self.local_world = node.Get_size()   # processes sharing this machine
            node.Free()

    @property
    def is_main(self) -> bool:
        """True on the process that prints and writes files (rank 0)."""
        return self.rank == 0

    def describe(self) -> str:
        """One line about the processes, for the run's header."""
        if not self.enabled:
            return "1 process"
        from ._mpi import library_version
        return "%d process%s (%d on this machine), %s" % (
            self.world, "" if self.world == 1 else "es", self.local_world, library_version())

    def progress_suffix(self) -> str:
        """What the progress bar's label adds: the bar counts rank 0's own shard."""
        return " (rank 0's shard of %d)" % self.world if self.enabled else ""

    def default_threads(self) -> Optional[int]:
        """The kernel threads per process when the user chose none (no --threads, no
        OMP_NUM_THREADS): this machine's cores shared among its processes; None for a
        single process (fastconv's own default)."""
        if not self.enabled or os.environ.get("OMP_NUM_THREADS"):
            return None
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:
            cores = os.cpu_count() or 1
        return max(1, cores // self.local_world)

    def batch_per_process(self, global_batch: int) -> int:
        """global_batch / world; ValueError when it does not divide evenly."""
        if global_batch % self.world:
            raise ValueError("batch size %d does not split evenly over %d processes; use a "
                             "multiple of %d" % (global_batch, self.world, self.world))
        return global_batch // self.world

    def train_loader(self, loader: Any) -> Any:
        """`loader` itself for one process; else a loader over the same data set giving
        this rank its shard (DistributedSampler seeded like loader's shuffling) in
        batches of loader.batch_size / world."""
        if not self.enabled:
            return loader
        from ..data import DataLoader
        from .sampler import DistributedSampler
        seed = getattr(loader, "seed", None)
        self._sampler = DistributedSampler(loader.dataset, self.world, self.rank,
                                           shuffle=True, seed=0 if seed is None else seed)
        return DataLoader(loader.dataset, batch_size=self.batch_per_process(loader.batch_size),
                          sampler=self._sampler, as_numpy=getattr(loader, "as_numpy", False))

    def test_loader(self, loader: Any) -> Any:
        """`loader` for one process; else the same batches over this rank's eval_shard
        (each image evaluated by exactly one rank)."""
        if not self.enabled:
            return loader
        from ..data import DataLoader
        from .sampler import eval_shard
        return DataLoader(eval_shard(loader.dataset, self.world, self.rank),
                          batch_size=loader.batch_size,
                          as_numpy=getattr(loader, "as_numpy", False))

    def set_epoch(self, epoch: int) -> None:
        """A new shuffled order for this epoch (the sampler's seed + epoch)."""
        if self._sampler is not None:
            self._sampler.set_epoch(epoch)

    def wrap(self, model: Any, **options: Any) -> Any:
        """DistributedDataParallel(model, **options) (rank 0's weights everywhere), or
        model for one process."""
        if not self.enabled:
            return model
        from .data_parallel import DistributedDataParallel
        return DistributedDataParallel(model, **options)

    def reduce_epoch(self, stats: EpochStats) -> EpochStats:
        """The epoch over all processes: the mean loss of every image, all images, the
        slowest process's seconds (so images_per_s is the whole job's)."""
        if not self.enabled:
            return stats
        from .metrics import all_reduce_sum
        loss, images = all_reduce_sum([stats.loss * stats.images, stats.images])
        seconds = self._max(stats.seconds)
        return EpochStats(loss=float(loss) / max(images, 1), images=int(round(images)),
                          seconds=seconds)

    def reduce_eval(self, stats: EvalStats) -> EvalStats:
        """The evaluation over all processes' shards (see metrics.reduce_eval_stats)."""
        if not self.enabled:
            return stats
        from .metrics import reduce_eval_stats
        return reduce_eval_stats(stats)

    def _max(self, value: float) -> float:
        import numpy as np

        from . import get_comm
        from ._mpi import mpi
        buf = np.array([value], dtype=np.float64)
        get_comm().Allreduce(mpi().IN_PLACE, buf, op=mpi().MAX)
        return float(buf[0])

def abort_after_failure(code: int) -> None:
    """After a command returned a failing exit code in one process of a job: stop every
    process (the others may be waiting for this one in a collective). Nothing happens
    for success, a single process, or before init()."""
    from .process_group import get_world_size, is_initialized
    if code and is_initialized() and get_world_size() > 1:
        import sys

        from .process_group import abort
        sys.stdout.flush()
        sys.stderr.flush()
        abort(code)
