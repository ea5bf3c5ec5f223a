"""fastconv.nn.functional is fastconv.functional itself, under the name PyTorch scripts
import it by (`import torch.nn.functional as F` ports as `import fastconv.nn.functional
as F`): one module object, two names."""
import sys

from .. import functional as _functional

sys.modules[__name__] = _functional
