"""ToTensor: uint8 channel-last images (as datasets store them) to float (C, H, W)."""
from typing import Any

import numpy as np

from .._tensors import to_numpy, to_tensor
from . import _kernels
from ._base import Transform


class ToTensor(Transform):
    """uint8 images to float32 in [0, 1], channels first, like torchvision's ToTensor
    on numpy arrays: (H, W) -> (1, H, W), (H, W, C) -> (C, H, W), a batch
    (N, H, W, C) -> (N, C, H, W). Calling it returns a fastconv Tensor.

    Floating-point input is taken as already converted (fastconv.data.FashionMNIST
    yields float (1, 28, 28) images in [0, 1]): (H, W) gains a channel axis, (C, H, W)
    and batches pass through unchanged. Other dtypes raise TypeError.
    """

    def __call__(self, pic: Any) -> Any:
        array = to_numpy(pic)
        if array.ndim not in (2, 3, 4):
            raise ValueError("ToTensor: expected an image (H, W) or (H, W, C), or a batch "
                             "(N, H, W, C), got an array of shape %s" % (array.shape,))
        if array.ndim == 4:
            return to_tensor(self.apply_batch(array))
        out = self.apply_batch(array[None])[0]
        return to_tensor(out)

    def apply_batch(self, batch: np.ndarray) -> np.ndarray:
        """A batch (N, H, W) or (N, H, W, C) uint8 -> (N, C, H, W) float32; float
        batches (N, H, W) gain a channel axis, (N, C, H, W) pass through."""
        if batch.ndim not in (3, 4):
            raise ValueError("ToTensor: expected a batch (N, H, W) or (N, H, W, C), got an "
                             "array of shape %s" % (batch.shape,))
        if batch.dtype == np.uint8:
            hwc = batch[..., None] if batch.ndim == 3 else batch
            return _kernels.hwc_uint8_to_chw_float(hwc)
        if batch.dtype.kind == "f":
            return batch[:, None] if batch.ndim == 3 else batch
        raise TypeError("ToTensor: expected uint8 or float images, got %s" % batch.dtype)
