"""PyTorch peer for `npm run bench:speed`: the medseg U-Net (frozen MobileNet v1 encoder, trainable U-Net
decoder) written in PyTorch, timed for training and inference on the CPU.

The network matches libs/models: Keras MobileNet v1 (TF 'same' padding, which pads only bottom/right for
stride 2 on even sizes; ReLU6; BN eps 1e-3), skips conv_pw_1/3/5/11/13, decoder stages of upsample x2 +
concatenate + two (3x3 conv without bias + BN + ReLU), 1x1 sigmoid head, Dice + BCE loss, Adam. The encoder
runs in eval mode under no_grad (frozen), as medseg runs it. Weights are random: speed does not depend on them.

Prints one JSON line: {"train_img_s", "infer_img_s", "train_ms", "infer_ms", "train_cpu_ms", "infer_cpu_ms",
"threads", "torch"}.
Run with MALLOC_MMAP_THRESHOLD_=2000000000 MALLOC_TRIM_THRESHOLD_=4000000000 (set by bench/speed.mjs):
glibc otherwise returns big tensor buffers to the kernel after every use and page faults slow PyTorch 2-3x.
"""

import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SameConv(nn.Module):
    """Conv2d with TensorFlow 'same' padding (extra pixel at bottom/right when the total is odd)."""

    def __init__(self, cin, cout, k, stride=1, groups=1, bias=False):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=0, groups=groups, bias=bias)
        self.k, self.stride = k, stride

    def forward(self, x):
        h, w = x.shape[-2:]
        pad_h = max((-(-h // self.stride) - 1) * self.stride + self.k - h, 0)
        pad_w = max((-(-w // self.stride) - 1) * self.stride + self.k - w, 0)
        if pad_h or pad_w:
            x = F.pad(x, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2))
        return self.conv(x)


def conv_bn_relu6(cin, cout, k, stride=1, groups=1):
    return nn.Sequential(SameConv(cin, cout, k, stride, groups), nn.BatchNorm2d(cout, eps=1e-3), nn.ReLU6())


class MobileNetV1Encoder(nn.Module):
    """Keras MobileNet v1 up to conv_pw_13, returning the skips deepest first (1/32, 1/16, 1/8, 1/4, 1/2)."""

    def __init__(self, alpha=0.25):
        super().__init__()
        c = lambda n: int(n * alpha)  # noqa: E731
        self.conv1 = conv_bn_relu6(3, c(32), 3, 2)
        spec = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
        blocks, cin = [], c(32)
        for filters, stride in spec:
            blocks.append(nn.Sequential(conv_bn_relu6(cin, cin, 3, stride, groups=cin), conv_bn_relu6(cin, c(filters), 1)))
            cin = c(filters)
        self.blocks = nn.ModuleList(blocks)
        self.channels = [c(1024), c(512), c(256), c(128), c(64)]

    def forward(self, x):
        x = self.conv1(x)
        skips = []
        for i, block in enumerate(self.blocks, start=1):
            x = block(x)
            if i in (1, 3, 5, 11, 13):
                skips.append(x)
        return skips[::-1]


class Decoder(nn.Module):
    def __init__(self, skip_channels, filters, classes=1):
        super().__init__()
        stages, cin = [], skip_channels[0]
        for i, f in enumerate(filters):
            extra = skip_channels[i + 1] if i + 1 < len(skip_channels) else 0
            stages.append(
                nn.Sequential(
                    nn.Conv2d(cin + extra, f, 3, padding=1, bias=False), nn.BatchNorm2d(f, eps=1e-3, momentum=0.1), nn.ReLU(),
                    nn.Conv2d(f, f, 3, padding=1, bias=False), nn.BatchNorm2d(f, eps=1e-3, momentum=0.1), nn.ReLU(),
                )
            )
            cin = f
        self.stages = nn.ModuleList(stages)
        self.head = nn.Conv2d(cin, classes, 1)

    def forward(self, features):
        x = features[0]
        for i, stage in enumerate(self.stages):
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            if i + 1 < len(features):
                x = torch.cat([x, features[i + 1]], dim=1)
            x = stage(x)
        return torch.sigmoid(self.head(x))


def dice_bce(truth, prob, eps=1e-6, smooth=1.0):
    tp = (truth * prob).sum()
    fp = (prob * (1 - truth)).sum()
    fn = (truth * (1 - prob)).sum()
    dice = (tp + smooth) / (tp + 0.5 * fp + 0.5 * fn + smooth)
    p = prob.clamp(eps, 1 - eps)
    bce = -(truth * p.log() + (1 - truth) * (1 - p).log()).mean()
    return 1 - dice + bce


def timed(fn, warmup, steps):
    """Median wall ms of `steps` calls after `warmup`, and mean process CPU ms (all threads) per call."""
    for _ in range(warmup):
        fn()
    times = []
    cpu0 = time.process_time()
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), (time.process_time() - cpu0) * 1000 / steps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--filters", default="256,128,64,32,16")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    filters = [int(f) for f in args.filters.split(",")]
    encoder = MobileNetV1Encoder().eval()
    for p in encoder.parameters():
        p.requires_grad_(False)
    decoder = Decoder(encoder.channels, filters)
    optimizer = torch.optim.Adam(decoder.parameters(), lr=1e-3)
    x = torch.rand(args.batch, 3, args.size, args.size) * 2 - 1
    y = (torch.rand(args.batch, 1, args.size, args.size) > 0.5).float()

    def train_step():
        decoder.train()
        with torch.no_grad():
            features = encoder(x)
        optimizer.zero_grad(set_to_none=True)
        loss = dice_bce(y, decoder(features))
        loss.backward()
        optimizer.step()
        loss.item()

    def infer_step():
        decoder.eval()
        with torch.no_grad():
            decoder(encoder(x)).sum().item()

    train_ms, train_cpu_ms = timed(train_step, args.warmup, args.steps)
    infer_ms, infer_cpu_ms = timed(infer_step, args.warmup, args.steps)
    print(json.dumps({
        "train_img_s": args.batch * 1000 / train_ms,
        "infer_img_s": args.batch * 1000 / infer_ms,
        "train_ms": train_ms,
        "infer_ms": infer_ms,
        "train_cpu_ms": train_cpu_ms,
        "infer_cpu_ms": infer_cpu_ms,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
