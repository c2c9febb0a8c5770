import { sharedPath } from '@medseg/data/testing';
import type { TrainSettings } from '../lib/train.js';
import type { BuildUnetOptions } from '../lib/unet.js';

/**
 * The U-Net the unit tests train: the shared ImageNet MobileNet v1 a0.25 encoder at 64x64 with a narrow decoder,
 * fast enough for a few real training steps per test.
 */
export function smallUnetOptions(overrides: Partial<BuildUnetOptions> = {}): BuildUnetOptions {
  return {
    backbone: 'mobilenet_v1_0.25',
    encoderWeights: sharedPath('weights/mobilenet_v1_0.25_224'),
    inputSize: 64,
    decoderFilters: [16, 8, 8, 8, 8],
    intensityRange: [0, 1],
    ...overrides,
  };
}

/** Settings for a few quick epochs of smallUnetOptions' network on synthetic slices. */
export function smallTrainSettings(overrides: Partial<TrainSettings> = {}): TrainSettings {
  return {
    epochs: 3,
    batchSize: 2,
    learningRate: 1e-2,
    encoderLearningRate: 1e-4,
    loss: 'dice+bce',
    seed: 5,
    patience: 10,
    schedule: 'cosine',
    augment: 'none',
    batchNormRecalibration: 4,
    ...overrides,
  };
}
