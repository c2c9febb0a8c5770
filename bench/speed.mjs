// @ts-check
// `npm run bench:speed` (issue 8): training and inference images/s of the medseg U-Net on the wasm backend
// against the same network in PyTorch on the CPU, measured in one run, at 128x128 and 256x256.
//
// Each measurement runs in a fresh process, one after the other (never two at once): medseg through
// bench/speed_medseg.mjs on the built dist (the npm script builds first), PyTorch through bench/speed_torch.py
// with Debian's python3-torch, 2 threads, and glibc malloc tuned so that it keeps big buffers
// (MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_; without them PyTorch page-faults 2-3x slower on these VMs).
// Same network (MobileNet v1 a0.25 frozen encoder, medseg's default decoder widths), batch, input size, loss and
// optimiser on both sides; each figure is the median of --steps timed steps after --warmup steps.
//
// medseg is measured as `medseg train`/`predict` run it by default (one wasm thread), and, as a second row, with
// `--workers 2` (the batch or slices shared with a replica in a worker thread: the way to use the second core).
// A third medseg row runs inference through ONNX Runtime (onnxruntime-node, the graph `medseg export --format onnx`
// writes and `predict --engine onnx` runs) with --replicas intra-op threads; its train column is a step whose frozen
// encoder forward runs in ONNX Runtime and whose decoder stays in tfjs (one thread), against the 1-thread wasm row.
// The last line, `speed: train X.XX, infer Y.YY`, is medseg/PyTorch with both on the 2 cores (medseg with
// --replicas workers or ORT threads, PyTorch with 2 threads), the smaller of the two sizes' ratios; infer is the
// best medseg engine's. CPU ms per step (all
// threads) are printed too: on a shared machine they show the cost of a step independently of how busy the
// cores are, and a single-thread PyTorch row gives a CPU-time ratio that the load on the machine does not distort.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultDecoderFilters } from '@medseg/models';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '128,256' },
    batch: { type: 'string', default: '8' },
    filters: { type: 'string', default: defaultDecoderFilters.join(',') },
    warmup: { type: 'string', default: '2' },
    steps: { type: 'string', default: '5' },
    replicas: { type: 'string', default: '2' },
    'single-thread-peer': { type: 'boolean', default: true },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const peerEnv = {
  ...process.env,
  MALLOC_MMAP_THRESHOLD_: '2000000000',
  MALLOC_TRIM_THRESHOLD_: '4000000000',
  OMP_NUM_THREADS: '2',
};

/**
 * @typedef {{ train_img_s: number, infer_img_s: number, train_cpu_ms: number, infer_cpu_ms: number,
 *   backend?: string, torch?: string, threads?: number }} Measurement
 */

/** Runs one measurement process and returns its JSON line. @param {string} command @param {string[]} args @param {NodeJS.ProcessEnv} env */
function measure(command, args, env) {
  const result = spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stderr}${result.error ?? ''}`);
  }
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  return /** @type {Measurement} */ (JSON.parse(line));
}

const num = (/** @type {number} */ v, digits = 2) => v.toFixed(digits).padStart(8);
const common = ['--batch', String(values.batch), '--filters', String(values.filters), '--warmup', String(values.warmup), '--steps', String(values.steps)];
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(
  `medseg vs PyTorch: MobileNet v1 a0.25 frozen encoder + U-Net decoder ${values.filters}, batch ${values.batch}, ` +
    `median of ${values.steps} steps after ${values.warmup}; ${process.env['MALLOC_MMAP_THRESHOLD_'] ? 'medseg with' : 'medseg without'} malloc tuning`,
);
console.log('size  what                          train img/s  infer img/s | train CPU ms/step  infer CPU ms/step');
/** @param {string} size @param {string} what @param {Measurement} m */
const row = (size, what, m) =>
  console.log(`${size.padEnd(5)} ${what.padEnd(29)} ${num(m.train_img_s)}     ${num(m.infer_img_s)}    | ${num(m.train_cpu_ms, 0)}          ${num(m.infer_cpu_ms, 0)}`);
/** @type {{ train: number, infer: number }[]} */
const ratios = [];
for (const size of String(values.sizes).split(',').map(Number)) {
  const label = String(size);
  console.log(`-- ${size}x${size} (load average ${load()})`);
  const medseg = measure(process.execPath, [join(here, 'speed_medseg.mjs'), '--size', label, ...common], process.env);
  row(label, 'medseg wasm, 1 thread', medseg);
  const replicas = Number(values.replicas);
  const parallel = replicas > 1 ? measure(process.execPath, [join(here, 'speed_medseg.mjs'), '--size', label, '--workers', String(replicas), ...common], process.env) : medseg;
  if (replicas > 1) row(label, `medseg wasm, --workers ${replicas}`, parallel);
  const ort = measure(process.execPath, [join(here, 'speed_medseg.mjs'), '--size', label, '--engine', 'onnx', '--workers', String(Math.max(replicas, 1)), ...common], process.env);
  row(label, `medseg ONNX Runtime, ${Math.max(replicas, 1)} thr`, ort);
  const torch = measure(String(values.python), [join(here, 'speed_torch.py'), '--size', label, '--threads', '2', ...common], peerEnv);
  row(label, `PyTorch ${torch.torch} ${torch.threads} threads`, torch);
  if (values['single-thread-peer']) {
    // One thread against one thread: OpenMP's 2-thread barriers spin when other jobs hold the cores, so on a busy
    // machine only this pair compares the engines rather than the scheduler.
    const single = measure(String(values.python), [join(here, 'speed_torch.py'), '--size', label, '--threads', '1', ...common], { ...peerEnv, OMP_NUM_THREADS: '1' });
    row(label, `PyTorch ${single.torch} 1 thread`, single);
    const ortSingle = measure(process.execPath, [join(here, 'speed_medseg.mjs'), '--size', label, '--engine', 'onnx', '--workers', '1', ...common], process.env);
    row(label, 'medseg ONNX Runtime, 1 thread', ortSingle);
    console.log(`${label.padEnd(5)} ${'CPU-time ratio, ORT 1 vs 1'.padEnd(29)} ${'       -'}     ${num(single.infer_cpu_ms / ortSingle.infer_cpu_ms)}    (PyTorch CPU ms / ONNX Runtime CPU ms per batch)`);
    console.log(
      `${label.padEnd(5)} ${'CPU-time ratio, 1 vs 1 thread'.padEnd(29)} ${num(single.train_cpu_ms / medseg.train_cpu_ms)}     ` +
        `${num(single.infer_cpu_ms / medseg.infer_cpu_ms)}    (PyTorch CPU ms / medseg CPU ms per step)`,
    );
  }
  console.log(`${label.padEnd(5)} ${'ratio, medseg 1 thread'.padEnd(29)} ${num(medseg.train_img_s / torch.train_img_s)}     ${num(medseg.infer_img_s / torch.infer_img_s)}`);
  console.log(`${label.padEnd(5)} ${`ratio, medseg --workers ${replicas}`.padEnd(29)} ${num(parallel.train_img_s / torch.train_img_s)}     ${num(parallel.infer_img_s / torch.infer_img_s)}  (both on 2 cores)`);
  console.log(`${label.padEnd(5)} ${'ratio, ONNX Runtime'.padEnd(29)} ${'       -'}     ${num(ort.infer_img_s / torch.infer_img_s)}  (both on 2 cores; ORT-encoder train step ${num(ort.train_img_s / medseg.train_img_s)}x the 1-thread wasm step)`);
  const ratio = { train: parallel.train_img_s / torch.train_img_s, infer: Math.max(parallel.infer_img_s, ort.infer_img_s) / torch.infer_img_s };
  ratios.push(ratio);
}
const worst = (/** @type {'train' | 'infer'} */ key) => Math.min(...ratios.map((r) => r[key]));
console.log(`speed: train ${worst('train').toFixed(2)}, infer ${worst('infer').toFixed(2)}`);
