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
// The last line is `speed: train X.XX, infer Y.YY`: medseg/PyTorch, the smaller of the two sizes' ratios.
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
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const peerEnv = {
  ...process.env,
  MALLOC_MMAP_THRESHOLD_: '2000000000',
  MALLOC_TRIM_THRESHOLD_: '4000000000',
  OMP_NUM_THREADS: '2',
};

/** Runs one measurement process and returns its JSON line. @param {string} command @param {string[]} args @param {NodeJS.ProcessEnv} env */
function measure(command, args, env) {
  const result = spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stderr}${result.error ?? ''}`);
  }
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  return /** @type {{ train_img_s: number, infer_img_s: number, backend?: string, torch?: string, threads?: number }} */ (JSON.parse(line));
}

const fmt = (/** @type {number} */ v) => v.toFixed(2).padStart(8);
const common = ['--batch', String(values.batch), '--filters', String(values.filters), '--warmup', String(values.warmup), '--steps', String(values.steps)];
console.log(`medseg vs PyTorch: MobileNet v1 a0.25 frozen encoder + U-Net decoder ${values.filters}, batch ${values.batch}, ` +
  `median of ${values.steps} steps after ${values.warmup}; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('size     | medseg train  infer | PyTorch train  infer | ratio train  infer');
const ratios = [];
for (const size of String(values.sizes).split(',').map(Number)) {
  const medseg = measure(process.execPath, [join(here, 'speed_medseg.mjs'), '--size', String(size), ...common], process.env);
  const torch = measure(String(values.python), [join(here, 'speed_torch.py'), '--size', String(size), '--threads', '2', ...common], peerEnv);
  const ratio = { train: medseg.train_img_s / torch.train_img_s, infer: medseg.infer_img_s / torch.infer_img_s };
  ratios.push(ratio);
  console.log(`${`${size}x${size}`.padEnd(8)} | ${fmt(medseg.train_img_s)} ${fmt(medseg.infer_img_s)} | ${fmt(torch.train_img_s)} ${fmt(torch.infer_img_s)} | ` +
    `${fmt(ratio.train)} ${fmt(ratio.infer)}   (img/s; ${medseg.backend}; torch ${torch.torch}, ${torch.threads} threads)`);
}
const worst = (/** @type {'train' | 'infer'} */ key) => Math.min(...ratios.map((r) => r[key]));
console.log(`speed: train ${worst('train').toFixed(2)}, infer ${worst('infer').toFixed(2)}`);
