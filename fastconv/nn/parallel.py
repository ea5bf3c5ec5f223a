"""DataParallel: torch's single-process multi-GPU wrapper, as a pass-through on one
device, so that scripts written for it run unchanged (fastconv's kernels already use
every CPU core; data parallelism across processes is MPI's job, see DESIGN.md)."""
import warnings
from typing import Any, Optional, Sequence

from .module import Module


class DataParallel(Module):
    """Holds `module` as self.module (so state_dict keys start with "module.", as
    torch's do) and calls it on the inputs unchanged. device_ids, output_device and
    dim are kept for code that reads them; naming more than one device warns that one
    is used."""

    def __init__(self, module: Module, device_ids: Optional[Sequence[Any]] = None,
                 output_device: Any = None, dim: int = 0) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError("module must be a fastconv.nn.Module, got %s"
                            % type(module).__name__)
        self.module = module
        self.device_ids = [] if device_ids is None else list(device_ids)
        if len(self.device_ids) > 1:
            warnings.warn("DataParallel runs the module on one device here; device_ids=%r "
                          "asks for %d" % (self.device_ids, len(self.device_ids)),
                          UserWarning, stacklevel=2)
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)
