"""`fastconv predict`: classify image files with a trained Fashion-MNIST network.

An image becomes what the networks were trained on: one grey channel, the item fitted
into 28x28 (aspect kept, centred on the background), white on black as Fashion-MNIST
draws it (photos of dark items on light ground are inverted; `invert` decides), scaled
to [0, 1] and normalised with the training set's mean and standard deviation. Pillow
reads the files (an optional extra: pip install fastconv[image]).
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

SIZE = 28
INVERT_CHOICES = ("auto", "yes", "no")


def weights_of(state: Any) -> Dict[str, Any]:
    """The model weights in what fastconv.load returned: a state dict (`train --save`),
    or the "model" entry of a `train --checkpoint` file."""
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        return state["model"]
    if isinstance(state, dict):
        return state
    raise ValueError("expected a state dict or a training checkpoint, got %s"
                     % type(state).__name__)


def _border_mean(grey: np.ndarray) -> float:
    return float(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]]).mean())


def image_to_input(path: str, invert: str = "auto") -> np.ndarray:
    """The image at `path` as a (1, 28, 28) float32 network input (see the module)."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("reading images needs Pillow: pip install 'fastconv[image]'") \
            from None
    if invert not in INVERT_CHOICES:
        raise ValueError("invert must be one of %s, got %r" % (INVERT_CHOICES, invert))
    with Image.open(path) as image:
        grey = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    if invert == "yes" or (invert == "auto" and _border_mean(grey) > 0.5):
        grey = 1.0 - grey
    h, w = grey.shape
    scale = SIZE / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    resized = Image.fromarray(np.round(grey * 255).astype(np.uint8)).resize(
        (new_w, new_h), Image.Resampling.BILINEAR)
    canvas = np.zeros((SIZE, SIZE), np.float32)
    top, left = (SIZE - new_h) // 2, (SIZE - new_w) // 2
    canvas[top:top + new_h, left:left + new_w] = np.asarray(resized, np.float32) / 255.0
    from .data.fashion_mnist import MEAN, STD
    return ((canvas - MEAN) / STD)[None].astype(np.float32)


def predict(model: Any, inputs: np.ndarray, top: int = 3) -> List[List[Tuple[int, float]]]:
    """For each input (N, 1, 28, 28): the `top` (class, probability) pairs, best first,
    from model in evaluation mode without the tape."""
    import fastconv
    import fastconv.functional as F

    model.eval()
    with fastconv.no_grad():
        probs = F.softmax(model(fastconv.from_numpy(inputs)), dim=1).numpy()
    order = np.argsort(-probs, axis=1, kind="stable")[:, :top]
    return [[(int(c), float(p[c])) for c in row] for row, p in zip(order, probs)]


def format_prediction(path: str, ranked: Sequence[Tuple[int, float]],
                      classes: Optional[Sequence[str]] = None) -> str:
    """One line: the file, then its classes with probabilities, best first."""
    from .data.fashion_mnist import CLASSES
    names = CLASSES if classes is None else classes
    return "%s: %s" % (path, "  ".join("%d. %s %.3f" % (i + 1, names[c], p)
                                       for i, (c, p) in enumerate(ranked)))
