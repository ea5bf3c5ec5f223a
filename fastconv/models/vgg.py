"""VGG-11 with batch normalisation for small images (CIFAR's 32x32, Fashion-MNIST's 28x28).

Simonyan & Zisserman's configuration A (8 conv layers: 64, M, 128, M, 256, 256, M, 512,
512, M, 512, 512, M), each conv 3x3 with padding 1 followed by BatchNorm2d and ReLU, as
the CIFAR adaptations have it; five 2x2 max pools take 32x32 to 1x1 and a single
Linear(512, num_classes) classifies. Names: `features.<i>` and `classifier`.
"""
from .. import nn
from ..autograd import Tensor

VGG11_CONFIG = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")


class VGG(nn.Module):
    """`features` (conv-BN-ReLU blocks and max pools) then a linear `classifier`."""

    def __init__(self, config=VGG11_CONFIG, num_classes: int = 10,
                 in_channels: int = 3) -> None:
        super().__init__()
        layers, width = [], in_channels
        for v in config:
            if v == "M":
                # ceil_mode: identical to floor on even sizes (32 -> 16 -> 8 -> 4 -> 2 -> 1);
                # takes 28x28 to 1x1 too (28 -> 14 -> 7 -> 4 -> 2 -> 1)
                layers.append(nn.MaxPool2d(2, ceil_mode=True))
            else:
                layers += [nn.Conv2d(width, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU()]
                width = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(width, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x).flatten(1))


def vgg11_bn(num_classes: int = 10, in_channels: int = 3) -> VGG:
    """VGG-11-BN for 32x32 images (9.2M parameters with 10 classes). The max pools round
    up (ceil_mode=True), which changes nothing on 32x32 and lets 28x28 one-channel
    images (in_channels=1) reach the same 1x1x512 head: 28 -> 14 -> 7 -> 4 -> 2 -> 1."""
    return VGG(VGG11_CONFIG, num_classes, in_channels)
