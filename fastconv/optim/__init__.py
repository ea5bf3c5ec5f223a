"""fastconv.optim: optimizers that update Parameters' arrays in place, as torch.optim does,
and learning-rate schedulers (fastconv.optim.lr_scheduler)."""
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD
from . import lr_scheduler  # noqa: E402  (imports Optimizer from above)

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
           "lr_scheduler"]
