import { ModelOptionsError } from './errors.js';
import { mobilenetV1Backbones } from './mobilenet-v1.js';
import { mobilenetV2Backbones } from './mobilenet-v2.js';
import { resnetBackbones } from './resnet.js';
import { vggBackbones } from './vgg.js';
import type { BackboneSpec } from './backbone-spec.js';

// The entries' types live in backbone-spec.ts, so that the entry files need not import this list (no cycle).
export type { BackboneSpec, BuildEncoderOptions, WeightsFormat, WeightsSource } from './backbone-spec.js';

export const backbones: Readonly<Record<string, BackboneSpec>> = Object.fromEntries(
  [...mobilenetV1Backbones, ...mobilenetV2Backbones, ...resnetBackbones, ...vggBackbones].map((spec) => [spec.name, spec]),
);

/** The backbone `medseg train` uses when none is named: small and fast (see libs/models README, Encoders). */
export const defaultBackboneName: string = mobilenetV1Backbones[0]!.name;

export function getBackbone(name: string): BackboneSpec {
  const spec = backbones[name];
  if (spec === undefined) {
    throw new ModelOptionsError(`getBackbone: unknown backbone "${name}" (known: ${Object.keys(backbones).join(', ')})`);
  }
  return spec;
}
