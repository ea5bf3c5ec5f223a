"""fastconv.backends.cudnn: torch.backends.cudnn's switches, accepted so scripts run.

fastconv does not use cuDNN (its GPU backend is CuPy). Its CPU kernels already choose
their algorithm from the layer's shape alone and give the same bits for any thread
count, so `deterministic` always holds and `benchmark` has nothing to tune.
"""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = False


def is_available() -> bool:
    """False: fastconv never calls cuDNN."""
    return False


def version():
    return None
