"""Test helper: a torchvision VGG16 / ResNet-50 with seeded random weights, written in the Keras HDF5 weights layout
(layer_names / weight_names, Keras applications layer names, kernels [kh, kw, in, out]), plus a random input and the
network's skip features (NHWC float32), for comparing medseg's Keras-style builders with an independent implementation.

usage: /usr/bin/python3 torchvision_keras_h5.py ARCH SIZE SEED OUT_DIR
writes OUT_DIR/weights.h5, OUT_DIR/input.bin, OUT_DIR/skip<i>.bin (deepest first) and OUT_DIR/shapes.json.
"""
import json
import sys

import h5py
import numpy as np
import torch
import torchvision

arch, size, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.manual_seed(seed)
layers = []  # (keras layer name, [(weight name, array)])


def conv(name, module):
    kernel = module.weight.detach().permute(2, 3, 1, 0).numpy()
    bias = module.bias.detach().numpy() if module.bias is not None else np.zeros(kernel.shape[3], np.float32)
    layers.append((name, [('kernel', kernel), ('bias', bias)]))


def bn(name, module):
    # Non-trivial statistics, so that a BN mapped to the wrong layer or weight shows.
    with torch.no_grad():
        c = module.num_features
        module.weight.copy_(torch.rand(c) + 0.5)
        module.bias.copy_(torch.randn(c) * 0.1)
        module.running_mean.copy_(torch.randn(c) * 0.1)
        module.running_var.copy_(torch.rand(c) * 1.5 + 0.5)
    module.eps = 1.001e-5  # Keras ResNet's epsilon
    layers.append((name, [(w, t.detach().numpy()) for w, t in
                          [('gamma', module.weight), ('beta', module.bias), ('moving_mean', module.running_mean), ('moving_variance', module.running_var)]]))


if arch == 'vgg16':
    net = torchvision.models.vgg16(weights=None).features
    taps = {8: 'block2_conv2', 15: 'block3_conv3', 22: 'block4_conv3', 29: 'block5_conv3', 30: 'block5_pool'}
    block, index = 1, 1
    for module in net:
        if isinstance(module, torch.nn.Conv2d):
            with torch.no_grad():
                module.bias.copy_(torch.randn(module.out_channels) * 0.1)
            conv(f'block{block}_conv{index}', module)
            index += 1
        elif isinstance(module, torch.nn.MaxPool2d):
            block, index = block + 1, 1

    def forward(x):
        skips = []
        for i, module in enumerate(net):
            x = module(x)
            if i in taps:
                skips.append(x)
        return skips[::-1]
elif arch == 'resnet50':
    net = torchvision.models.resnet50(weights=None)
    conv('conv1_conv', net.conv1)
    bn('conv1_bn', net.bn1)
    for s, stage in enumerate([net.layer1, net.layer2, net.layer3, net.layer4]):
        for b, unit in enumerate(stage):
            name = f'conv{s + 2}_block{b + 1}'
            if unit.downsample is not None:
                conv(f'{name}_0_conv', unit.downsample[0])
                bn(f'{name}_0_bn', unit.downsample[1])
                # torchvision is ResNet v1.5 (stride on the 3x3); Keras and the paper stride the first 1x1.
                unit.conv1.stride, unit.conv2.stride = unit.conv2.stride, (1, 1)
            for k in (1, 2, 3):
                conv(f'{name}_{k}_conv', getattr(unit, f'conv{k}'))
                bn(f'{name}_{k}_bn', getattr(unit, f'bn{k}'))

    def forward(x):
        x = net.relu(net.bn1(net.conv1(x)))
        skips = [x]
        x = net.maxpool(x)
        for stage in [net.layer1, net.layer2, net.layer3, net.layer4]:
            x = stage(x)
            skips.append(x)
        return skips[::-1]
else:
    raise SystemExit(f'unknown arch {arch}')

with h5py.File(f'{out}/weights.h5', 'w') as f:
    f.attrs['layer_names'] = [name.encode() for name, _ in layers]
    f.attrs['backend'] = b'tensorflow'
    f.attrs['keras_version'] = b'2.2.4'
    for name, weights in layers:
        group = f.create_group(name)
        group.attrs['weight_names'] = [f'{name}/{w}:0'.encode() for w, _ in weights]
        for w, value in weights:
            group.create_dataset(f'{name}/{w}:0', data=np.ascontiguousarray(value, dtype=np.float32))

net.eval()
x = torch.rand(2, 3, size, size) * 2 - 1
with torch.no_grad():
    skips = forward(x)
shapes = {'input': [2, size, size, 3]}
x.permute(0, 2, 3, 1).contiguous().numpy().astype(np.float32).tofile(f'{out}/input.bin')
for i, t in enumerate(skips):
    nhwc = t.permute(0, 2, 3, 1).contiguous().numpy().astype(np.float32)
    nhwc.tofile(f'{out}/skip{i}.bin')
    shapes[f'skip{i}'] = list(nhwc.shape)
json.dump(shapes, open(f'{out}/shapes.json', 'w'))
