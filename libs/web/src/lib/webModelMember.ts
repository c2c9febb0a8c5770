import type { NormalizationSpec } from '@medseg/data';
import type { UnetConfig } from '@medseg/models';

/** The page's description of the model it runs, written by exportWebSite as `medseg-model.json`. */
export interface MedsegModelManifest {
  readonly format: 'medseg-model';
  readonly version: 1;
  readonly task: 'segmentation';
  /** Label names, background first (label i = classes[i]). */
  readonly classes: readonly string[];
  /** Foreground probability threshold (one class); argmax otherwise. */
  readonly threshold: number;
  readonly preprocessing: {
    /** The modality the model was trained on, when known; the page refuses series of another one. */
    readonly modality?: string;
    /** Intensity normalisation of the training data, applied to the series before the network. */
    readonly normalization?: NormalizationSpec;
    readonly inputSize: number;
    readonly contextSlices: number;
    readonly resize: 'bilinear';
  };
  /** Each ensemble member's TF.js weights manifest (`model.json` beside its `weights.bin`), relative to the site. */
  readonly members: readonly string[];
  readonly provenance: {
    readonly exporter: string;
    readonly checkpoints: readonly { readonly path: string; readonly backbone: string; readonly weightsSha256: string; readonly epochs?: number; readonly seed?: number; readonly dataset?: string }[];
  };
}

/** A member's `model.json`: a TF.js weights manifest plus the U-Net's config to rebuild the layers from. */
export interface WebModelMember {
  readonly format: 'medseg-web-unet';
  readonly version: 1;
  readonly config: UnetConfig;
  readonly encoderDepth: number;
  readonly weightsManifest: readonly { readonly paths: readonly string[]; readonly weights: readonly { readonly name: string; readonly shape: readonly number[]; readonly dtype: 'float32' | 'int32' }[] }[];
}
