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


# hypothesis profiles: "ci" (the default: bounded and derandomised, so CI stays fast and
# repeatable) and "long" (pytest --hypothesis-profile=long, for local runs)
try:
    from hypothesis import HealthCheck, settings
except ImportError:   # property tests skip without hypothesis
    pass
else:
    settings.register_profile("ci", max_examples=40, derandomize=True, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow,
                                                     HealthCheck.filter_too_much])
    settings.register_profile("long", max_examples=2000, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow,
                                                     HealthCheck.filter_too_much])
    settings.load_profile("ci")
