import { createRng } from '@medseg/data';
import { backbones } from './backbones.js';
import { encoderCost } from './encoder-cost.js';
import { loadEncoder } from './encoder.js';
import { localEncoderWeights, type ResolveEncoderWeightsOptions } from './encoder-weights.js';

export interface EncoderCatalogueEntry {
  readonly name: string;
  readonly description: string;
  /** Parameters of the encoder as the U-Net uses it (cut after its deepest skip), BN statistics included. */
  readonly parameters: number;
  /** FLOPs of one 128x128 forward pass of that encoder (multiply-add = 2). */
  readonly flops128: number;
  readonly skips: readonly string[];
  readonly preprocessing: string;
  readonly weights: { readonly format: string; readonly url: string; readonly fileName: string; readonly md5: string | null };
  /** Where `--encoder-weights imagenet` would load from without downloading, or null. */
  readonly local: { readonly where: 'weights-dir' | 'cache'; readonly path: string } | null;
}

/** Every registered backbone with its size, cost at 128x128, weights source and whether its weights are at hand. */
export async function encoderCatalogue(options: ResolveEncoderWeightsOptions = {}): Promise<EncoderCatalogueEntry[]> {
  const rows: EncoderCatalogueEntry[] = [];
  for (const spec of Object.values(backbones)) {
    // Built without weights at the full depth: the architecture's cost, whatever file is at hand.
    const encoder = await loadEncoder({ backbone: spec, weightsFile: null, inputSize: 128, rng: createRng(0) });
    const cost = encoderCost(encoder.model);
    rows.push({
      name: spec.name,
      description: spec.description,
      parameters: cost.parameters,
      flops128: cost.flops,
      skips: encoder.skipNames,
      preprocessing: spec.preprocessing.mode,
      weights: { format: spec.weights.format, url: spec.weights.url, fileName: spec.weights.fileName, md5: spec.weights.md5 ?? null },
      local: await localEncoderWeights(spec, options),
    });
    encoder.model.dispose();
  }
  return rows;
}
