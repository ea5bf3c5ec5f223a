"""fastconv.data.transforms: torchvision-style image transforms, per image or per batch.

Each transform takes one image (C, H, W), as torchvision's tensor transforms do, or a
whole batch (N, C, H, W) with independent random parameters for every image, vectorised
(`t.apply_batch(batch)`). DataLoader applies a dataset's transform to whole batches
when the dataset can fetch them (fastconv's array-backed datasets). Random draws come
from fastconv's process-wide generator (`fastconv.manual_seed`) unless a transform is
given `generator=` (a numpy Generator).

Raw uint8 images stored channels last, (H, W, C) as CIFAR10 gives them (where
torchvision has PIL images), go through RandomCrop, the flips and RandomAffine too and
stay channels last, so the usual Compose([RandomCrop(32, padding=4),
RandomHorizontalFlip(), ToTensor(), Normalize(mean, std)]) ports unchanged; geometry
follows torchvision's tensor transforms. ToTensor converts them to float (C, H, W).
`python -m fastconv.data.transforms.bench` times them.
"""
from . import functional
from ._base import Compose, InterpolationMode, Lambda, Transform, apply_batch
from .affine import RandomAffine
from .crop import RandomCrop
from .flip import RandomHorizontalFlip, RandomVerticalFlip
from .normalize import Normalize
from .to_tensor import ToTensor

__all__ = ["Transform", "Compose", "Lambda", "InterpolationMode", "apply_batch", "Normalize",
           "ToTensor", "RandomHorizontalFlip", "RandomVerticalFlip", "RandomCrop",
           "RandomAffine", "functional"]
