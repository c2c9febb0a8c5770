// Entry of one data-parallel replica's worker thread (see createReplicaPool): its own TF.js instance and a copy
// of the U-Net, which computes gradients for its share of each batch, or probabilities for its share of slices.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend/selectBackend.js';
import { segmentationLoss } from '../losses.js';
import { predictSlices } from '../predict-slices.js';
import { batchGradients, trainableVariables } from '../training-step.js';
import { buildUnet } from '../unet.js';
import type { ReplicaInit, ReplicaReply, ReplicaRequest } from './replica-protocol.js';
import { allVariables, changingVariables, packValues, unpackVariables } from './replica-weights.js';

const init = workerData as ReplicaInit;
const port = parentPort!;

async function start() {
  await selectBackend(init.backend);
  // No weight files are read: every value arrives from the main thread.
  const unet = await buildUnet({ ...init.config, encoderDepth: init.encoderDepth });
  unpackVariables(allVariables(unet), init.weights);
  const loss = segmentationLoss(init.loss);
  const changing = changingVariables(unet);
  const trainable = trainableVariables(unet);
  const handle = async (request: ReplicaRequest): Promise<void> => {
    try {
      if (request.weights !== undefined) unpackVariables(changing, request.weights);
      let reply: ReplicaReply;
      if (request.type === 'gradients') {
        const { value, grads } = tf.tidy(() => batchGradients(unet, loss, request.batch));
        const flat = packValues(trainable.map((v) => grads[v.name]!));
        reply = { id: request.id, grads: flat, loss: value.dataSync()[0]! };
        tf.dispose([value, ...Object.values(grads)]);
        port.postMessage(reply, [flat.buffer as ArrayBuffer]);
      } else {
        const probs = await predictSlices(unet, request.images, request.count, { batchSize: request.batchSize, tta: request.tta });
        reply = { id: request.id, probs };
        port.postMessage(reply, [probs.buffer as ArrayBuffer]);
      }
    } catch (error) {
      port.postMessage({ id: request.id, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) } satisfies ReplicaReply);
    }
  };
  // One request at a time, in arrival order: reading a result back is asynchronous, and a request that came in
  // meanwhile must not change the weights under the one in flight.
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (request: ReplicaRequest) => {
    queue = queue.then(() => handle(request));
  });
  port.postMessage({ id: -1, ready: true } satisfies ReplicaReply);
}

start().catch((error: unknown) => {
  port.postMessage({ id: -1, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) } satisfies ReplicaReply);
});
