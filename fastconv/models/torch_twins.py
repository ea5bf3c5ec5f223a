"""The networks of fastconv.models written in PyTorch, for side-by-side runs.

`fastconv bench` and benchmarks/train_torch_reference.py time and train these next to
fastconv's own. Each has the same modules, names and state-dict keys and shapes as its
fastconv counterpart, so `twin.load_state_dict(ours.state_dict())` (arrays converted with
torch.from_numpy) moves the weights across. torch is imported when a builder is called.
"""
from typing import Any

from .resnet import RESNET20_STAGES
from .vgg import VGG11_CONFIG


def lenet5_torch(num_classes: int = 10) -> Any:
    """fastconv.models.lenet5 in torch."""
    import torch.nn as nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, num_classes))


def cnn_bn_torch(num_classes: int = 10) -> Any:
    """fastconv.models.cnn_bn in torch."""
    import torch.nn as nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 1024), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(1024, num_classes))


def resnet20_torch(num_classes: int = 10, in_channels: int = 3) -> Any:
    """fastconv.models.resnet20 in torch (option A shortcuts, Kaiming-normal init)."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Block(nn.Module):
        def __init__(self, in_planes: int, planes: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.stride, self.pad = stride, planes - in_planes

        def shortcut(self, x: torch.Tensor) -> torch.Tensor:
            if self.stride == 1 and self.pad == 0:
                return x
            x = x[:, :, ::self.stride, ::self.stride]
            return F.pad(x, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return F.relu(out + self.shortcut(x))

    class ResNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            width = RESNET20_STAGES[0][0]
            self.conv1 = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(width)
            for i, (planes, stride) in enumerate(RESNET20_STAGES, 1):
                blocks = []
                for b in range(3):
                    blocks.append(Block(width, planes, stride if b == 0 else 1))
                    width = planes
                setattr(self, "layer%d" % i, nn.Sequential(*blocks))
            self.linear = nn.Linear(width, num_classes)
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.kaiming_normal_(m.weight)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer3(self.layer2(self.layer1(out)))
            return self.linear(out.mean((2, 3)))

    return ResNet()


def vgg11_bn_torch(num_classes: int = 10, in_channels: int = 3) -> Any:
    """fastconv.models.vgg11_bn in torch."""
    import torch.nn as nn

    class VGG(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers, width = [], in_channels
            for v in VGG11_CONFIG:
                if v == "M":
                    layers.append(nn.MaxPool2d(2, ceil_mode=True))
                else:
                    layers += [nn.Conv2d(width, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU()]
                    width = v
            self.features = nn.Sequential(*layers)
            self.classifier = nn.Linear(width, num_classes)

        def forward(self, x):
            return self.classifier(self.features(x).flatten(1))

    return VGG()
