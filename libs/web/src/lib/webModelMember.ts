import type { UnetConfig } from '@medseg/models';

/**
 * A member's `model.json`: a TF.js weights manifest plus the U-Net's config to rebuild the layers from. The
 * site's `medseg-model.json` is libs/models' MedsegModel, whose `web.members` lists these files.
 */
export interface WebModelMember {
  readonly format: 'medseg-web-unet';
  readonly version: 1;
  readonly config: UnetConfig;
  readonly encoderDepth: number;
  readonly weightsManifest: readonly { readonly paths: readonly string[]; readonly weights: readonly { readonly name: string; readonly shape: readonly number[]; readonly dtype: 'float32' | 'int32' }[] }[];
}
