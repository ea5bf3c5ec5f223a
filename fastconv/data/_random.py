"""Where fastconv.data draws random numbers: a given numpy Generator, or fastconv's
process-wide one (seeded by fastconv.manual_seed, reseeded in each loader worker)."""
from typing import Any, Optional

import numpy as np

SEED_BOUND = 2 ** 62   # seeds drawn for samplers and workers lie in [0, SEED_BOUND)


def check_generator(generator: Any, owner: str) -> Optional[np.random.Generator]:
    """The numpy Generator behind `generator` (None, a numpy Generator or a
    fastconv.Generator); TypeError naming it otherwise."""
    inner = getattr(generator, "numpy_generator", generator)
    if inner is not None and not isinstance(inner, np.random.Generator):
        raise TypeError("%s: generator must be a fastconv.Generator, a "
                        "numpy.random.Generator or None, got %s"
                        % (owner, type(generator).__name__))
    return inner


def resolve_generator(generator: Optional[np.random.Generator]) -> np.random.Generator:
    """`generator`, or fastconv's process-wide one, looked up at each call so that
    fastconv.manual_seed and worker seeding take effect."""
    if generator is not None:
        return generator
    from .. import random as fastconv_random
    return fastconv_random.generator()


def draw_seed(generator: Optional[np.random.Generator]) -> int:
    """A fresh seed in [0, 2**62) from `generator` or the process-wide generator."""
    return int(resolve_generator(generator).integers(0, SEED_BOUND))
