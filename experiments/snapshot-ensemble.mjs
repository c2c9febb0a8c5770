// @ts-check
// A snapshot ensemble of one finished run (issue 15): is the mean of its best/ and last/ checkpoints better than
// best/ alone? `npm run build && node experiments/snapshot-ensemble.mjs --run RUN --dataset DS --out FILE [--overwrite]`.
//
// The run's best validation epoch came early in every default STS run (5 of 6-11) while the training loss kept
// falling, and per-patient validation Dice swung by 0.07 between epochs: averaging the early and the final
// checkpoint is a cheap hedge against that noise (the snapshot ensembles of Huang et al. 2017, "Snapshot
// Ensembles: Train 1, get M for free"). `medseg predict --model RUN/best --model RUN/last` already makes it.
//
// Every validation and test case of DS is predicted with flip TTA by each checkpoint (the run's models train
// with flips on both axes); the mean of the two is the ensemble. For each of best, last and mean the
// post-processing is chosen on the VALIDATION patients by train's own rule (choosePostprocessing over the TTA
// grid); the test patients' mean per-patient Dice under that choice is reported beside it and chooses nothing.
// Writes FILE (atomically; an existing FILE only with --overwrite; never into the run folder, which train and
// predict own): per case and model, the Dice of every candidate.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readDatasetCase, readDatasetManifest } from '@medseg/data';
import { choosePostprocessing, datasetCaseSplits, loadCheckpoint, predictVolumeProbabilities, scorePostprocessingCandidates, selectBackend, ttaPostprocessingCandidates } from '@medseg/models';

const { values } = parseArgs({ options: { run: { type: 'string' }, dataset: { type: 'string' }, out: { type: 'string' }, overwrite: { type: 'boolean', default: false } } });
if (values.run === undefined || values.dataset === undefined || values.out === undefined) {
  console.error('usage: node experiments/snapshot-ensemble.mjs --run RUN --dataset DS --out FILE [--overwrite]');
  process.exit(2);
}
const { run, dataset, out } = values;
if (existsSync(out) && values.overwrite !== true) {
  console.error(`${out}: exists; pass --overwrite to replace it`);
  process.exit(1);
}
await selectBackend('wasm');
const manifest = await readDatasetManifest(dataset);
const splits = datasetCaseSplits(manifest, undefined);
const names = ['best', 'last'];
const models = [];
for (const name of names) {
  const contents = await loadCheckpoint(join(run, name));
  for (const weights of Object.values(contents.optimizers)) for (const { tensor } of weights) tensor.dispose();
  models.push(contents.unet);
}
const started = Date.now();
/** @type {{ caseId: string; patientId: string; split: string; dice: Record<string, number[]> }[]} */
const rows = [];
for (const [i, entry] of manifest.cases.entries()) {
  const split = splits[i];
  if (split !== 'val' && split !== 'test') continue;
  const { image, mask } = await readDatasetCase(dataset, entry);
  /** @type {Float32Array[]} */
  const probabilities = [];
  let channels = 1;
  for (const unet of models) {
    const predicted = await predictVolumeProbabilities(unet, image, { batchSize: 8, tta: true });
    probabilities.push(predicted.probabilities);
    channels = predicted.channels;
  }
  const mean = probabilities[0].map((p, k) => (p + probabilities[1][k]) / 2);
  /** @type {Record<string, number[]>} */
  const dice = {};
  /** @type {[string, Float32Array][]} */
  const members = [['best', probabilities[0]], ['last', probabilities[1]], ['mean', mean]];
  for (const [name, p] of members) dice[name] = scorePostprocessingCandidates(p, channels, mask.data, image.shape, ttaPostprocessingCandidates);
  rows.push({ caseId: entry.id, patientId: entry.patientId, split, dice });
  console.error(`${entry.id} (${split}): ${Object.entries(dice).map(([n, d]) => `${n} ${Math.max(...d.filter(Number.isFinite)).toFixed(3)}`).join(', ')} (best candidate of each)`);
}
for (const unet of models) unet.dispose();

/** @param {string} split @param {string} model */
const scoresOf = (split, model) => rows.filter((r) => r.split === split).map((r) => ({ caseId: r.caseId, patientId: r.patientId, dice: r.dice[model] }));
const summary = ['best', 'last', 'mean'].map((model) => {
  const validation = choosePostprocessing(scoresOf('val', model), ttaPostprocessingCandidates);
  // Only its per-patient table is read (at the validation's choice); its own choice is ignored.
  const test = choosePostprocessing(scoresOf('test', model), ttaPostprocessingCandidates);
  const k = ttaPostprocessingCandidates.findIndex((c) => c.threshold === validation.chosen.threshold && c.largestComponent === validation.chosen.largestComponent);
  return {
    model,
    chosen: validation.chosen,
    validationDice: validation.table[k].meanDice,
    testDice: test.table[k].meanDice,
    testPerPatient: Object.fromEntries(test.perPatient.map((p) => [p.patientId, Number(p.dice[k].toFixed(3))])),
  };
});
writeFileSync(`${out}.partial`, `${JSON.stringify({ run, dataset, candidates: ttaPostprocessingCandidates, seconds: Math.round((Date.now() - started) / 1000), summary, rows }, null, 1)}\n`);
renameSync(`${out}.partial`, out);
console.log('| model | post-processing chosen on validation | validation Dice | test Dice |');
console.log('| --- | --- | --- | --- |');
for (const s of summary) console.log(`| ${s.model} | threshold ${s.chosen.threshold}, ${s.chosen.largestComponent ? 'largest component' : 'every component'}, flip TTA | ${s.validationDice.toFixed(3)} | ${s.testDice.toFixed(3)} |`);
console.error(`wrote ${out} (${Math.round((Date.now() - started) / 1000)} s)`);
