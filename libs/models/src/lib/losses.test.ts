import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { segmentationLoss } from './losses.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const value = (name: Parameters<typeof segmentationLoss>[0], truth: number[], pred: number[], channels = 1): number =>
  tf.tidy(() => segmentationLoss(name)(tf.tensor4d(truth, [1, 1, truth.length / channels, channels]), tf.tensor4d(pred, [1, 1, pred.length / channels, channels])).dataSync()[0]!);

describe('segmentation losses (closed forms on two pixels: truth [1, 0], prediction [0.8, 0.4])', () => {
  // tp = 0.8, fp = 0.4, fn = 0.2; smoothing 1.
  it('dice+bce = 1 - (tp+1)/(tp + fp/2 + fn/2 + 1) + mean BCE', () => {
    const expected = 1 - 1.8 / 2.1 - (Math.log(0.8) + Math.log(0.6)) / 2;
    expect(value('dice+bce', [1, 0], [0.8, 0.4])).toBeCloseTo(expected, 5);
  });

  it('dice+focal uses focal loss with gamma 2, alpha 0.25 (weighted x10)', () => {
    const focal = -(0.25 * 0.2 ** 2 * Math.log(0.8) + 0.75 * 0.4 ** 2 * Math.log(0.6)) / 2;
    expect(value('dice+focal', [1, 0], [0.8, 0.4])).toBeCloseTo(1 - 1.8 / 2.1 + 10 * focal, 5);
  });

  it('tversky weighs false negatives 0.7 and false positives 0.3', () => {
    expect(value('tversky', [1, 0], [0.8, 0.4])).toBeCloseTo(1 - 1.8 / (0.8 + 0.3 * 0.4 + 0.7 * 0.2 + 1), 5);
  });

  it('is ~0 for a perfect prediction, and for softmax ignores the background channel in Dice', () => {
    expect(value('dice+bce', [1, 0, 1], [1, 0, 1])).toBeLessThan(1e-5);
    // Two pixels, channels [background, class 1]: pixel 0 is class 1 with p = 0.8, pixel 1 background with p(class 1) = 0.4.
    const softmax = value('dice+bce', [0, 1, 1, 0], [0.2, 0.8, 0.6, 0.4], 2);
    expect(softmax).toBeCloseTo(1 - 1.8 / 2.1 - (Math.log(0.8) + Math.log(0.6)) / 2, 5);
  });
});
