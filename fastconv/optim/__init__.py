"""fastconv.optim: optimizers that update Parameters' arrays in place, as torch.optim does,
and learning-rate schedulers (fastconv.optim.lr_scheduler)."""
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]
