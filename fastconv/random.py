"""The process-wide random generator: manual_seed() makes every random draw reproducible.

All random creation (rand, randn, randint, uniform_, normal_), nn.init and dropout draw
from the one numpy Generator (PCG64) that generator() returns. Like PyTorch, a fresh
process starts from a fixed seed, so runs are reproducible even without manual_seed;
seed() switches to fresh OS entropy. manual_seed reseeds that same Generator object in
place, so code that kept a reference to generator() sees the new seed too.
"""
import numbers

import numpy as np

DEFAULT_SEED = 67280421310721   # PyTorch's default CPU seed; any fixed value would do

_seed = DEFAULT_SEED
_generator = np.random.Generator(np.random.PCG64(DEFAULT_SEED))


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the process-wide generator with a non-negative int; returns it."""
    global _seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError("manual_seed: seed must be an int, got %s" % type(seed).__name__)
    if seed < 0:
        raise ValueError("manual_seed: seed must be >= 0, got %d" % seed)
    _generator.bit_generator.state = np.random.PCG64(int(seed)).state
    _seed = int(seed)
    return _generator


def seed() -> int:
    """Reseed from OS entropy (non-reproducible); returns the seed used."""
    fresh = int(np.random.SeedSequence().entropy) % (2 ** 63)
    manual_seed(fresh)
    return fresh


def initial_seed() -> int:
    """The seed the generator was last seeded with."""
    return _seed


def generator() -> np.random.Generator:
    """The process-wide numpy Generator every random op in fastconv draws from."""
    return _generator


def get_rng_state() -> dict:
    """A copy of the generator's state, for checkpoints (restore with set_rng_state)."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state returned by get_rng_state."""
    _generator.bit_generator.state = state
