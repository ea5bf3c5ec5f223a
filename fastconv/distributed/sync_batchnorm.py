"""sync_batch_norm: batch normalisation whose statistics cover the whole global batch,
every rank's part of it, forward next to backward.

Forward: each rank computes, per channel, its element count, mean and sum of squared
deviations (float64), all ranks gather them (one Allgather of 1 + 2C numbers) and merge
them exactly (Chan et al.'s pairwise update), so every rank normalises with the same
global mean and variance, and updates its running statistics with them (unbiased
variance, as BatchNorm). Backward: with xhat = (x - mean) * invstd and N the global count,

    dx = weight * invstd * (dy - sum(dy) / N - xhat * sum(dy * xhat) / N)

where the two sums run over every rank's batch (one Allreduce of 2C numbers). This is
the gradient of the sum of all ranks' losses with respect to this rank's input, as in
torch; DistributedDataParallel's averaging of the parameter gradients then makes the
whole step equal to one process running BatchNorm on the global batch. The gradients of
weight and bias are this rank's own sums (DDP averages them).
"""
from typing import Any, Optional

import numpy as np

from ..autograd import Function, Tensor
from ._mpi import mpi


def _channel_axes(x: np.ndarray):
    return (0,) + tuple(range(2, x.ndim))


def _broadcast_shape(x: np.ndarray):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _channel_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum over every axis but 1 of a * b, per channel, accumulated in float64."""
    shape = (a.shape[0], a.shape[1], -1)
    return np.einsum("ncl,ncl->c", a.reshape(shape), b.reshape(shape), dtype=np.float64)


def global_statistics(x: np.ndarray, comm: Any):
    """(count, mean, sum of squared deviations) per channel over every rank's x (float64)."""
    axes = _channel_axes(x)
    count = x.size // x.shape[1]
    mean = x.mean(axis=axes, dtype=np.float64)
    centred = x - mean.astype(x.dtype).reshape(_broadcast_shape(x))
    m2 = _channel_dot(centred, centred)
    mine = np.concatenate([[float(count)], mean, m2])
    everyone = np.empty((comm.Get_size(), mine.size), dtype=np.float64)
    comm.Allgather(mine, everyone)
    channels = x.shape[1]
    total, mean_all, m2_all = 0.0, np.zeros(channels), np.zeros(channels)
    for row in everyone:                 # in rank order: the same sums on every rank
        n, mean_r, m2_r = row[0], row[1:1 + channels], row[1 + channels:]
        if n == 0:
            continue
        merged = total + n
        delta = mean_r - mean_all
        mean_all = mean_all + delta * (n / merged)
        m2_all = m2_all + m2_r + delta * delta * (total * n / merged)
        total = merged
    return total, mean_all, m2_all


class SyncBatchNormFunction(Function):
    """y = (x - mean) * invstd * weight + bias with mean and invstd over all ranks."""

    fresh_gradients = True

    @staticmethod
    def forward(ctx, x, weight, bias, *, running_mean, running_var, momentum, eps, comm):
        count, mean, m2 = global_statistics(x, comm)
        if count <= 1:
            raise ValueError("Expected more than 1 value per channel when training, got "
                             "input size %s on every rank together" % (tuple(x.shape),))
        var = m2 / count
        invstd = 1.0 / np.sqrt(var + eps)
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += (momentum * mean).astype(running_mean.dtype)
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += (momentum * m2 / (count - 1)).astype(running_var.dtype)
        shape = _broadcast_shape(x)
        mean_x = mean.astype(x.dtype).reshape(shape)
        invstd_x = invstd.astype(x.dtype).reshape(shape)
        xhat = (x - mean_x) * invstd_x
        y = xhat * weight.reshape(shape) if weight is not None else xhat.copy()
        if bias is not None:
            y += bias.reshape(shape)
        ctx.save_for_backward(x, weight)
        ctx.mean, ctx.invstd, ctx.count, ctx.comm = mean_x, invstd_x, count, comm
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        shape = _broadcast_shape(x)
        axes = _channel_axes(x)
        xhat = (x - ctx.mean) * ctx.invstd
        sum_dy = grad.sum(axis=axes, dtype=np.float64)
        sum_dy_xhat = _channel_dot(grad, xhat)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        grad_x = None
        if need_x:
            sums = np.concatenate([sum_dy, sum_dy_xhat])
            ctx.comm.Allreduce(mpi().IN_PLACE, sums, op=mpi().SUM)
            channels = x.shape[1]
            mean_dy = (sums[:channels] / ctx.count).astype(x.dtype).reshape(shape)
            mean_dy_xhat = (sums[channels:] / ctx.count).astype(x.dtype).reshape(shape)
            scale = ctx.invstd if weight is None else ctx.invstd * weight.reshape(shape)
            grad_x = (grad - mean_dy - xhat * mean_dy_xhat) * scale
        grad_w = sum_dy_xhat.astype(x.dtype) if need_w else None
        grad_b = sum_dy.astype(x.dtype) if need_b else None
        return grad_x, grad_w, grad_b


def sync_batch_norm(input: Tensor, running_mean: Optional[Tensor],
                    running_var: Optional[Tensor], weight: Optional[Tensor],
                    bias: Optional[Tensor], momentum: float, eps: float, comm: Any) -> Tensor:
    """Training-mode batch normalisation of `input` (N, C, *) with the statistics of the
    batch of every rank of `comm` together; running_mean / running_var (when given) are
    updated in place with them, as F.batch_norm does."""
    from ..functional._util import check_tensor

    check_tensor(input, "input")
    if input.device != "cpu":
        raise TypeError("sync_batch_norm runs on CPU tensors (MPI buffers), got %s"
                        % input.device)
    if input.dtype not in (np.float32, np.float64):
        raise TypeError("sync_batch_norm: input must be float32 or float64, got %s"
                        % input.dtype)
    raw = [None if t is None else t._data for t in (running_mean, running_var)]
    return SyncBatchNormFunction.apply(input, weight, bias, running_mean=raw[0],
                                       running_var=raw[1], momentum=momentum, eps=eps,
                                       comm=comm)


from ..nn.sync_batchnorm import SyncBatchNorm  # noqa: E402  (the layer; lives in fastconv.nn)


def convert_sync_batchnorm(module: Any, process_group: Any = None):
    """nn.SyncBatchNorm.convert_sync_batchnorm: every BatchNorm1d/2d of `module` replaced
    by a SyncBatchNorm sharing its parameters and buffers."""
    return SyncBatchNorm.convert_sync_batchnorm(module, process_group)
