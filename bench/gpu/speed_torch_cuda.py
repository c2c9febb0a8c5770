"""PyTorch peer of bench/gpu/device-check.mjs's speed check: the same U-Net (bench/speed_torch.py's network: frozen
Keras-style MobileNet v1 a0.25 encoder in eval mode under no_grad, trainable U-Net decoder, Dice + BCE, Adam) timed
for training and inference on CUDA (or --device cpu, to try it on a machine without a GPU). Each timed step ends
with a synchronisation (loss.item(), as medseg's step ends by reading its loss back).

Prints one JSON line per size: {"size", "batch", "train_img_s", "infer_img_s", "train_ms", "infer_ms", "device",
"gpu", "torch", "cuda"}.
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from speed_torch import Decoder, MobileNetV1Encoder, dice_bce  # noqa: E402


def timed(fn, warmup, steps, sync):
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="128,256")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--filters", default="64,32,16,16,8")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    filters = [int(f) for f in args.filters.split(",")]
    for size in [int(s) for s in args.sizes.split(",")]:
        torch.manual_seed(0)
        encoder = MobileNetV1Encoder().to(device).eval()
        for p in encoder.parameters():
            p.requires_grad_(False)
        decoder = Decoder(encoder.channels, filters).to(device)
        optimizer = torch.optim.Adam(decoder.parameters(), lr=1e-3)
        x = (torch.rand(args.batch, 3, size, size) * 2 - 1).to(device)
        y = (torch.rand(args.batch, 1, size, size) > 0.5).float().to(device)

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

        train_ms = timed(train_step, args.warmup, args.steps, sync)
        infer_ms = timed(infer_step, args.warmup, args.steps, sync)
        print(json.dumps({
            "size": size,
            "batch": args.batch,
            "train_img_s": args.batch * 1000 / train_ms,
            "infer_img_s": args.batch * 1000 / infer_ms,
            "train_ms": train_ms,
            "infer_ms": infer_ms,
            "device": str(device),
            "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
        }), flush=True)


if __name__ == "__main__":
    main()
