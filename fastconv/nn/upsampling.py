"""Upsample, UpsamplingNearest2d and UpsamplingBilinear2d: interpolate as layers."""
from typing import Optional

from .. import functional as F
from ..autograd import Tensor
from ..functional.resample import Scale, Size
from .module import Module


class Upsample(Module):
    """Resize (N, C, L) or (N, C, H, W) input to `size` or by `scale_factor` with `mode`
    ('nearest', 'nearest-exact', 'linear', 'bilinear'), as torch.nn.Upsample."""

    def __init__(self, size: Optional[Size] = None, scale_factor: Optional[Scale] = None,
                 mode: str = "nearest", align_corners: Optional[bool] = None,
                 recompute_scale_factor: Optional[bool] = None) -> None:
        super().__init__()
        self.size = size
        self.scale_factor = (tuple(float(f) for f in scale_factor)
                             if isinstance(scale_factor, (list, tuple))
                             else None if scale_factor is None else float(scale_factor))
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode,
                             self.align_corners, self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = "scale_factor=%r" % (self.scale_factor,)
        else:
            info = "size=%r" % (self.size,)
        return info + ", mode=%r" % (self.mode,)


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of (N, C, H, W), as torch.nn.UpsamplingNearest2d."""

    def __init__(self, size: Optional[Size] = None,
                 scale_factor: Optional[Scale] = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of (N, C, H, W) with align_corners=True, as
    torch.nn.UpsamplingBilinear2d."""

    def __init__(self, size: Optional[Size] = None,
                 scale_factor: Optional[Scale] = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
