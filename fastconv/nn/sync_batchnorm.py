"""SyncBatchNorm: batch normalisation with statistics over every process's batch
(torch.nn.SyncBatchNorm), for data-parallel training with fastconv.distributed.

Same parameters, buffers and state_dict keys as BatchNorm1d/2d. It synchronises only
when it must, as torch's does: in training mode, with fastconv.distributed initialised
and more than one process; otherwise (evaluation, a single process) it is BatchNorm.
"""
from typing import Any, Optional

from ..autograd import Tensor
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, _BatchNorm


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation over (N, C, *) inputs whose training statistics are the mean
    and variance of the global batch (every rank's part together). process_group: an
    mpi4py communicator, default fastconv.distributed's."""

    _ranks = (2, 3, 4, 5)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 process_group: Any = None, device=None, dtype=None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats,
                         device=device, dtype=dtype)
        self.process_group = process_group

    def _comm_to_sync(self):
        """The communicator to reduce over, or None when plain BatchNorm is right."""
        if not self.training:
            return None
        from .. import distributed
        if self.process_group is None and not distributed.is_initialized():
            return None
        comm = distributed.get_comm(self.process_group)
        return comm if comm.Get_size() > 1 else None

    def forward(self, input: Tensor) -> Tensor:
        return self._forward(input, relu=False)

    def _forward(self, input: Tensor, relu: bool) -> Tensor:
        comm = self._comm_to_sync()
        if comm is None:
            return super()._forward(input, relu)
        out = self._synced(input, comm)
        return out.relu() if relu else out

    def _synced(self, input: Tensor, comm: Any) -> Tensor:
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data[...] += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        from ..distributed.sync_batchnorm import sync_batch_norm
        keep = self.track_running_stats
        return sync_batch_norm(input, self.running_mean if keep else None,
                               self.running_var if keep else None, self.weight, self.bias,
                               factor, self.eps, comm)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """`module` with every BatchNorm1d/2d in it replaced by a SyncBatchNorm sharing its
        parameters and buffers (the module itself when it is a BatchNorm)."""
        out = module
        if isinstance(module, (BatchNorm1d, BatchNorm2d)):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            for name in ("weight", "bias"):
                if name in module._parameters:
                    out._parameters[name] = module._parameters[name]
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                out._buffers[name] = module._buffers[name]
            out.training = module.training
        for name, child in list(module.named_children()):
            converted = cls.convert_sync_batchnorm(child, process_group)
            if converted is not child:
                out.add_module(name, converted)
        return out
