"""fastconv.models: ready-made networks, with state-dict keys and shapes identical to the
same networks written in PyTorch (fastconv.models.torch_twins), so weights move both ways;
fastconv.models.recipes says how `fastconv train` trains each."""
from .cnn_bn import cnn_bn
from .lenet import lenet5
from .resnet import resnet20
from .vgg import vgg11_bn

__all__ = ["lenet5", "cnn_bn", "resnet20", "vgg11_bn"]
