"""Fixtures shared by the whole test suite (keep this small and generic)."""
import numpy as np
import pytest


@pytest.fixture
def restore_threads():
    """Put fastconv's thread-count setting back as it was after the test."""
    from fastconv import _threads
    saved = _threads._requested
    yield
    _threads._requested = saved


@pytest.fixture
def rng():
    """A seeded generator, so failures reproduce."""
    return np.random.default_rng(1234)
