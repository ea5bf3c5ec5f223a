"""fastconv.autograd: Tensor, Function (forward and backward side by side), the tape."""
from .function import Context, Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck
from .tensor import Tensor, from_numpy, tensor

__all__ = ["Tensor", "Function", "Context", "tensor", "from_numpy", "no_grad",
           "enable_grad", "is_grad_enabled", "set_grad_enabled", "gradcheck",
           "GradcheckError"]
