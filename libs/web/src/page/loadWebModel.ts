import * as tf from '@tensorflow/tfjs';
import { buildUnet, type MedsegModel, medsegModelFile, type Unet, validateMedsegModel } from '@medseg/models';
import type { WebModelMember } from '../lib/webModelMember.js';

export interface WebModel {
  readonly manifest: MedsegModel & { readonly web: NonNullable<MedsegModel['web']> };
  readonly unets: readonly Unet[];
}

async function fetchOk(url: URL): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
  return response;
}

/** Sets every weight of a layers model from `values` by `layer/weight` name, the checkpoint's naming. */
function setWeightsByName(model: tf.LayersModel, values: tf.NamedTensorMap, source: string): void {
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    layer.setWeights(
      layer.weights.map((weight) => {
        const name = `${layer.name}/${weight.originalName.slice(weight.originalName.lastIndexOf('/') + 1)}`;
        const value = values[name];
        if (value === undefined) throw new Error(`${source}: lacks weight ${name}`);
        return value;
      }),
    );
  }
}

/**
 * The site's model: `medseg-model.json`, then each member's weights manifest and shard, decoded by TF.js and
 * set into a U-Net rebuilt from its config (no encoder download: every weight comes from the site).
 */
export async function loadWebModel(base: URL): Promise<WebModel> {
  const manifest = validateMedsegModel(await (await fetchOk(new URL(medsegModelFile, base))).json(), medsegModelFile, 'web') as WebModel['manifest'];
  const unets: Unet[] = [];
  try {
    for (const path of manifest.web.members) {
      const url = new URL(path, base);
      const member = (await (await fetchOk(url)).json()) as WebModelMember;
      const group = member.weightsManifest[0]!;
      const data = await (await fetchOk(new URL(group.paths[0]!, url))).arrayBuffer();
      const values = tf.io.decodeWeights(data, group.weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: w.dtype })));
      const unet = await buildUnet({ ...member.config, encoderDepth: member.encoderDepth });
      try {
        setWeightsByName(unet.encoder.model, values, path);
        setWeightsByName(unet.decoder, values, path);
      } catch (error) {
        unet.dispose();
        throw error;
      } finally {
        tf.dispose(Object.values(values));
      }
      unets.push(unet);
    }
  } catch (error) {
    for (const unet of unets) unet.dispose();
    throw error;
  }
  return { manifest, unets };
}
