"""Whether operations record the tape: no_grad / enable_grad, per thread."""
import functools
import threading


class _State(threading.local):
    """Per-thread grad mode; the class attribute is every new thread's default (a plain
    attribute read, where getattr with a default would raise and catch internally)."""

    enabled = True


_state = _State()


def is_grad_enabled() -> bool:
    """True when new operations are recorded for backward (the default)."""
    return _state.enabled


def set_grad_enabled(mode: bool) -> None:
    _state.enabled = bool(mode)


class _GradMode:
    """Context manager and decorator that sets grad mode and restores it afterwards."""

    mode = True

    def __enter__(self):
        self._previous = is_grad_enabled()
        set_grad_enabled(self.mode)
        return self

    def __exit__(self, *exc):
        set_grad_enabled(self._previous)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Do not record operations: for inference and for updating parameters in place."""

    mode = False


class enable_grad(_GradMode):
    """Record operations again inside a no_grad block."""

    mode = True
