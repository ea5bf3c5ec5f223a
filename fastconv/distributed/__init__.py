"""fastconv.distributed: data-parallel training over MPI (torch.distributed's names).

    mpiexec -n 2 python train.py          # each process runs the same script

    import fastconv.distributed as dist
    dist.init()                                   # MPI.COMM_WORLD, or init(comm)
    model = dist.DistributedDataParallel(model)   # rank 0's weights everywhere
    sampler = dist.DistributedSampler(train_set, shuffle=True, seed=0)
    loader = DataLoader(train_set, batch_size=32, sampler=sampler)  # per-rank batch
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(); loss.backward(); opt.step()   # gradients averaged in backward

MPI comes from the optional extra (`pip install 'fastconv[mpi]'`: mpi4py and MPICH);
importing this package never needs it, the first call that communicates does.
"""
from ._mpi import INSTALL_HINT
from ._mpi import status as mpi_status
from .collectives import ReduceOp, Work, all_gather, all_gather_array, all_reduce, broadcast
from .data_parallel import DistributedDataParallel
from .metrics import all_reduce_mean, all_reduce_sum, reduce_eval_stats
from .process_group import (abort, barrier, destroy_process_group, get_comm, get_rank,
                            get_world_size, init, init_process_group, is_available,
                            is_initialized)
from .sampler import DistributedSampler, eval_shard
from .sync_batchnorm import SyncBatchNorm, convert_sync_batchnorm, sync_batch_norm

__all__ = [
    "init", "init_process_group", "is_available", "is_initialized", "destroy_process_group",
    "get_comm", "get_rank", "get_world_size", "barrier", "abort",
    "ReduceOp", "Work", "all_reduce", "broadcast", "all_gather", "all_gather_array",
    "DistributedDataParallel", "DistributedSampler", "eval_shard",
    "SyncBatchNorm", "convert_sync_batchnorm", "sync_batch_norm",
    "all_reduce_sum", "all_reduce_mean", "reduce_eval_stats", "INSTALL_HINT", "mpi_status",
]
