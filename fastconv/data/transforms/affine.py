"""RandomAffine: a random rotation, translation, scale and shear for each image."""
import numbers
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from .._random import check_generator
from ._base import (InterpolationMode, Transform, check_fill, check_images, interpolation_name,
                    uniform_draws)
from .functional import affine_batch, inverse_affine_matrices

# Uniform draws per image: angle, tx, ty, scale, shear x, shear y (always all six).
DRAWS = 6


def _real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and np.isfinite(v)


def _range(value: Any, name: str, sizes: Tuple[int, ...], symmetric_scalar: bool
           ) -> Tuple[float, ...]:
    """A number d as (-d, d) (when allowed) or a sequence of `sizes` numbers."""
    if symmetric_scalar and _real(value):
        if value < 0:
            raise ValueError("RandomAffine: %s must be non-negative when a single number, "
                             "got %r" % (name, value))
        return (-float(value), float(value))
    if not isinstance(value, (list, tuple)) or len(value) not in sizes \
            or not all(_real(v) for v in value):
        raise TypeError("RandomAffine: %s must be %sa sequence of %s numbers, got %r"
                        % (name, "a number or " if symmetric_scalar else "",
                           " or ".join(map(str, sizes)), value))
    return tuple(float(v) for v in value)


class RandomAffine(Transform):
    """A random affine map per image, torchvision's RandomAffine on tensors.

    degrees: rotation in degrees, uniform in (-d, d) for a number d or in (min, max).
    translate: (a, b): horizontal shift uniform in (-a*W, a*W) and vertical in
      (-b*H, b*H) pixels, rounded to whole pixels; None for no shift.
    scale: (min, max) for a uniform scale factor; None keeps 1.
    shear: a number s (x shear in (-s, s)), (min, max) for x, or (xmin, xmax, ymin,
      ymax); None for none.
    interpolation: NEAREST (torchvision's default) or BILINEAR.
    fill: the value (or one per channel) of pixels that come from outside the image.
    center: the (x, y) pixel the map turns about; None for the image centre.
    """

    channel_last_uint8 = True

    def __init__(self, degrees: Any, translate: Optional[Sequence[float]] = None,
                 scale: Optional[Sequence[float]] = None, shear: Any = None,
                 interpolation: Any = InterpolationMode.NEAREST, fill: Any = 0,
                 center: Optional[Sequence[float]] = None, *,
                 generator: Optional[np.random.Generator] = None) -> None:
        self.degrees = _range(degrees, "degrees", (2,), True)
        self.translate = None
        if translate is not None:
            self.translate = _range(translate, "translate", (2,), False)
            if not all(0.0 <= t <= 1.0 for t in self.translate):
                raise ValueError("RandomAffine: translate values must be in [0, 1], got %r"
                                 % (translate,))
        self.scale = None
        if scale is not None:
            self.scale = _range(scale, "scale", (2,), False)
            if not all(s > 0 for s in self.scale):
                raise ValueError("RandomAffine: scale values must be positive, got %r"
                                 % (scale,))
        self.shear = None
        if shear is not None:
            self.shear = _range(shear, "shear", (2, 4), True)
        self.interpolation = interpolation_name(interpolation, "RandomAffine")
        self.fill = check_fill(fill, "RandomAffine")
        if center is not None and (not isinstance(center, (list, tuple)) or len(center) != 2
                                   or not all(_real(c) for c in center)):
            raise TypeError("RandomAffine: center must be a sequence of 2 numbers, got %r"
                            % (center,))
        self.center = center
        self.generator = check_generator(generator, "RandomAffine")

    def sample_params(self, n: int, height: int, width: int) -> dict:
        """Draw the parameters of n images of height x width: arrays angle (n,),
        translate (n, 2), scale (n,), shear (n, 2), as torchvision's get_params would."""
        u = uniform_draws(self.generator, n, DRAWS)
        lo, hi = self.degrees
        angle = lo + u[:, 0] * (hi - lo)
        translate = np.zeros((n, 2))
        if self.translate is not None:
            max_dx = self.translate[0] * width
            max_dy = self.translate[1] * height
            translate[:, 0] = np.rint(-max_dx + u[:, 1] * (2 * max_dx))
            translate[:, 1] = np.rint(-max_dy + u[:, 2] * (2 * max_dy))
        scale = np.ones(n)
        if self.scale is not None:
            scale = self.scale[0] + u[:, 3] * (self.scale[1] - self.scale[0])
        shear = np.zeros((n, 2))
        if self.shear is not None:
            shear[:, 0] = self.shear[0] + u[:, 4] * (self.shear[1] - self.shear[0])
            if len(self.shear) == 4:
                shear[:, 1] = self.shear[2] + u[:, 5] * (self.shear[3] - self.shear[2])
        return {"angle": angle, "translate": translate, "scale": scale, "shear": shear}

    def _apply(self, batch: np.ndarray) -> np.ndarray:
        check_images(batch, "RandomAffine")
        n, _, h, w = batch.shape
        p = self.sample_params(n, h, w)
        centre = (0.0, 0.0) if self.center is None else (
            float(self.center[0]) - 0.5 * w, float(self.center[1]) - 0.5 * h)
        theta = inverse_affine_matrices(centre, p["angle"], p["translate"], p["scale"],
                                        p["shear"])
        return affine_batch(batch, theta, self.interpolation, self.fill, "RandomAffine")

    def __repr__(self) -> str:
        return ("RandomAffine(degrees=%s, translate=%s, scale=%s, shear=%s, interpolation=%s)"
                % (self.degrees, self.translate, self.scale, self.shear, self.interpolation))
