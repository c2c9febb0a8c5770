// @ts-check
// A worker thread that runs one library runner (runTraining or runPrediction of @medseg/models) with the options
// it is given, writes the runner's events to a log file (one JSON line each, batches left out), and posts back a
// summary. Each worker has its own TF.js instance, as a separate `medseg` process would.
import { appendFileSync, writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { runPrediction, runTraining } from '@medseg/models';

const { runner, options, logFile } = workerData;
writeFileSync(logFile, '');
/** @param {{ type: string }} event */
const onEvent = (event) => {
  if (event.type !== 'batch') appendFileSync(logFile, `${JSON.stringify(event)}\n`);
};
if (runner === 'train') {
  const result = await runTraining(options, onEvent);
  parentPort?.postMessage({ backend: result.backend.name, seconds: Math.round(result.state.elapsedSeconds), best: result.state.best, interrupted: result.interrupted, epochs: result.state.epoch });
} else {
  const result = await runPrediction(options, onEvent);
  parentPort?.postMessage({ backend: result.backend.name, cases: result.record.cases.length, seconds: result.seconds });
}
