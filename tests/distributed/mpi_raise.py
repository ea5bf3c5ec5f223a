"""Run by test_mpi.py under mpiexec -n 2: rank 1 raises while rank 0 waits in a
collective; the job must stop with rank 1's error rather than hang."""
import fastconv.distributed as dist

dist.init()
if dist.get_rank() == 1:
    raise ValueError("rank 1 fails on purpose")
dist.barrier()          # rank 0 waits here for a rank that will never come
print("rank 0 passed the barrier: the job did not abort")
