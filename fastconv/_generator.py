"""fastconv.Generator: a random generator object, as torch.Generator, over numpy's PCG64."""
import numpy as np

from .random import DEFAULT_SEED


class Generator:
    """Generator(device="cpu"): its own stream of random numbers, seeded with
    manual_seed(seed). Accepted wherever fastconv takes `generator=` (DataLoader,
    random_split, samplers, transforms)."""

    def __init__(self, device="cpu") -> None:
        if str(getattr(device, "type", device)).split(":")[0] not in ("cpu", "cuda"):
            raise ValueError("Generator: device must be 'cpu' or 'cuda', got %r" % (device,))
        self.device = device
        self._seed = DEFAULT_SEED
        self.numpy_generator = np.random.Generator(np.random.PCG64(DEFAULT_SEED))

    def manual_seed(self, seed: int) -> "Generator":
        """Reseed with a non-negative int; returns self (so `Generator().manual_seed(42)`)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError("manual_seed: seed must be an int, got %s" % type(seed).__name__)
        if seed < 0:
            raise ValueError("manual_seed: seed must be >= 0, got %d" % seed)
        self._seed = int(seed)
        self.numpy_generator.bit_generator.state = np.random.PCG64(int(seed)).state
        return self

    def seed(self) -> int:
        """Reseed from OS entropy; returns the seed used."""
        fresh = int(np.random.SeedSequence().entropy) % (2 ** 63)
        self.manual_seed(fresh)
        return fresh

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self.numpy_generator.bit_generator.state

    def set_state(self, state: dict) -> "Generator":
        self.numpy_generator.bit_generator.state = state
        return self
