"""PyTorch definitions of the zoo's networks (models/Zoo.cpp), for the
benchmarks' side-by-side runs: conv bias-free, BN, grouped 3x3 convs, fc."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, win, wout, C, d, stride):
        super().__init__()
        cd = C * d
        self.conv1 = nn.Conv2d(win, cd, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cd)
        self.conv2 = nn.Conv2d(cd, cd, 3, stride, 1, groups=C, bias=False)
        self.bn2 = nn.BatchNorm2d(cd)
        self.conv3 = nn.Conv2d(cd, wout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(wout)
        self.short = None
        if stride != 1 or win != wout:
            self.short = nn.Sequential(nn.Conv2d(win, wout, 1, stride, bias=False),
                                       nn.BatchNorm2d(wout))

    def forward(self, x):
        t = F.relu(self.bn1(self.conv1(x)))
        t = F.relu(self.bn2(self.conv2(t)))
        t = self.bn3(self.conv3(t))
        return F.relu(t + (self.short(x) if self.short else x))


class ResNeXt50(nn.Module):
    """The zoo's resnext50_32x4d: 7x7/2 stem, 3x3/2 max pool, stages of
    3, 4, 6, 3 blocks (widths 256..2048, d = 4·2^s), 1000-way fc."""

    def __init__(self, C=32, d=4, classes=1000):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False),
                                  nn.BatchNorm2d(64), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        blocks, win = [], 64
        for s, (n, w) in enumerate(zip([3, 4, 6, 3], [256, 512, 1024, 2048])):
            for b in range(n):
                blocks.append(Block(win, w, C, d * 2 ** s,
                                    2 if (b == 0 and s) else 1))
                win = w
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(2048, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class ResNeXt29(nn.Module):
    """The zoo's resnext29_CxDd (models/Zoo.cpp): stem 3x3/64, three stages of
    three blocks, widths 256/512/1024, d doubling per stage, fc."""

    def __init__(self, C, d, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(64), nn.ReLU())
        blocks, win = [], 64
        for s, w in enumerate([256, 512, 1024]):
            for b in range(3):
                blocks.append(Block(win, w, C, d * 2 ** s, 2 if (b == 0 and s) else 1))
                win = w
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(1024, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
