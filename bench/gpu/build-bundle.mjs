// @ts-check
// Builds bench/gpu/bundle/ (gitignored), everything the GPU device check needs on a machine with no internet and
// possibly no Node, under 64 MiB (bench/gpu/README.md):
//   node.xz          this Node binary (process.execPath), xz-compressed
//   app.tar.xz       app/device-check.mjs (device-check.mjs and all it imports, bundled by rolldown, tfjs and
//                    tfjs-backend-webgpu included), app/node_modules/webgpu (Dawn's dawn.node for linux-x64, the one
//                    package left outside the bundle), tfjs-backend-wasm's .wasm binaries, the MobileNet v1 a0.25
//                    ImageNet weights and an STS dataset (STS_001-006 train, slices with tumour only; STS_007-008
//                    validation, every slice) ingested here
//   gl/*.deb         the Vulkan loader (Debian's libvulkan1, amd64), unpacked on the device if it lacks one
//   reference-sts.json  the sts check run here on wasm: the validation-Dice curve the GPU run is compared with
//   manifest.json    what was built, from which commit, sizes and SHA-256 of each file
// Usage: npm run build && node bench/gpu/build-bundle.mjs [--skip-reference] [--epochs N]
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { bin, root, shared } from '../../experiments/medseg-bin.mjs';

const { values: args } = parseArgs({
  options: {
    'skip-reference': { type: 'boolean', default: false },
    epochs: { type: 'string', default: '4' },
  },
});
const here = join(root, 'bench/gpu');
const bundle = join(here, 'bundle');
const stage = join(here, 'bundle-stage');
const app = join(stage, 'app');
const limit = 60 * 2 ** 20; // the device tool carries 64 MiB in all, the repository's own files included
const stsCases = ['STS_001', 'STS_002', 'STS_003', 'STS_004', 'STS_005', 'STS_006', 'STS_007', 'STS_008'];
const valCases = 'STS_007,STS_008';
const require = createRequire(import.meta.url);

/** @param {string} command @param {string[]} argv @param {import('node:child_process').SpawnSyncOptions} [options] */
function run(command, argv, options = {}) {
  console.log(`$ ${command} ${argv.join(' ')}`);
  const result = spawnSync(command, argv, { stdio: 'inherit', ...options });
  if (result.status !== 0) throw new Error(`${command} failed (exit ${result.status})`);
}

for (const built of ['libs/models/dist/index.js', 'apps/cli/dist/main.js']) {
  if (!existsSync(join(root, built))) throw new Error(`build-bundle: ${built} is missing; run \`npm run build\` first`);
}
rmSync(bundle, { recursive: true, force: true });
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(bundle, 'gl'), { recursive: true });
mkdirSync(app, { recursive: true });

// 1. The code: one ESM file. `webgpu` stays external (it loads dawn.node by a path relative to itself); the native
// tfjs-node packages are never installed here; sharp (PNG previews, unused by the check) is replaced by a stub.
const { rolldown } = await import('rolldown');
const stub = join(stage, 'sharp-stub.mjs');
writeFileSync(stub, "export default function sharp() {\n  throw new Error('sharp is not part of the GPU bundle');\n}\n");
const build = await rolldown({
  input: join(here, 'device-check.mjs'),
  platform: 'node',
  external: ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', /^node:/],
  resolve: { alias: { sharp: stub } },
});
await build.write({
  file: join(app, 'device-check.mjs'),
  format: 'esm',
  codeSplitting: false,
  // CommonJS modules in the bundle (tfjs-backend-wasm's Emscripten glue) read __dirname and __filename.
  banner:
    "import { fileURLToPath as __medsegFileURLToPath } from 'node:url'; import { dirname as __medsegDirname } from 'node:path'; " +
    'const __filename = __medsegFileURLToPath(import.meta.url); const __dirname = __medsegDirname(__filename);',
});
await build.close();

// 2. What stays a file: Dawn, and tfjs-backend-wasm's binaries (wasmBinaryFolder resolves the package by name).
const webgpuDir = dirname(require.resolve('webgpu/package.json'));
mkdirSync(join(app, 'node_modules/webgpu/dist/linux-x64'), { recursive: true });
for (const file of ['package.json', 'index.js', 'dist/linux-x64/dawn.node']) cpSync(join(webgpuDir, file), join(app, 'node_modules/webgpu', file));
const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
const wasmPackage = JSON.parse(readFileSync(join(wasmDir, 'package.json'), 'utf8'));
mkdirSync(join(app, 'node_modules/@tensorflow/tfjs-backend-wasm/dist'), { recursive: true });
cpSync(join(wasmDir, 'package.json'), join(app, 'node_modules/@tensorflow/tfjs-backend-wasm/package.json'));
// Only resolved, never run: the bundle holds the package's code.
writeFileSync(join(app, 'node_modules/@tensorflow/tfjs-backend-wasm', wasmPackage.main), '// resolved by wasmBinaryFolder only; the code is in device-check.mjs\n');
for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) cpSync(join(wasmDir, 'dist', file), join(app, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', file));

// 3. Data: the encoder's ImageNet weights and a small STS dataset, ingested here with the built bin.
cpSync(join(shared, 'weights/mobilenet_v1_0.25_224'), join(app, 'weights/mobilenet_v1_0.25_224'), { recursive: true });
const images = join(stage, 'sts-images');
mkdirSync(images);
for (const id of stsCases) symlinkSync(join(shared, 'data/sts/dicom', id), join(images, id));
run(process.execPath, [bin, 'ingest', '--images', images, '--roi', 'GTV*', '--out', join(app, 'sts-dataset'), '--val', '0', '--val-patients', valCases, '--drop-empty']);
rmSync(join(app, 'sts-dataset/previews'), { recursive: true, force: true });

// 4. Pack: the app folder and the Node binary, xz-compressed (the device unpacks them with Python's lzma if it has
// no xz).
run('tar', ['-C', stage, '-cf', join(bundle, 'app.tar'), 'app']);
run('xz', ['-T2', '-6', join(bundle, 'app.tar')]);
execFileSync('sh', ['-c', `xz -T2 -6 -c "$0" > "$1"`, process.execPath, join(bundle, 'node.xz')]);

// 5. The Vulkan loader, in case the device has none (the device tool's README: apt-get download, amd64).
const lists = join(stage, 'apt-lists');
mkdirSync(join(lists, 'partial'), { recursive: true });
const apt = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`];
run('apt-get', [...apt, '-q', 'update'], { stdio: ['ignore', 'ignore', 'inherit'] });
run('apt-get', [...apt, 'download', 'libvulkan1'], { cwd: join(bundle, 'gl') });

// 6. The reference: the same sts check on wasm here.
if (!args['skip-reference']) {
  run(process.execPath, [join(here, 'device-check.mjs'), '--backend', 'wasm', '--checks', 'sts', '--epochs', args.epochs,
    '--data', join(app, 'sts-dataset'), '--weights', join(app, 'weights/mobilenet_v1_0.25_224'), '--out', join(stage, 'reference-out'),
    '--write-curve', join(bundle, 'reference-sts.json')]);
}

// 7. The record, and the size limit.
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else files.push({ path: relative(bundle, path), bytes: statSync(path).size, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') });
  }
};
walk(bundle);
const total = files.reduce((sum, f) => sum + f.bytes, 0);
const commit = spawnSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
writeFileSync(join(bundle, 'manifest.json'), `${JSON.stringify({ commit, node: process.version, built: new Date().toISOString(), cases: stsCases, val: valCases.split(','), epochs: Number(args.epochs), files, totalBytes: total }, null, 2)}\n`);
rmSync(stage, { recursive: true, force: true });
for (const f of files) console.log(`${(f.bytes / 2 ** 20).toFixed(1).padStart(6)} MiB  ${f.path}`);
console.log(`bundle: ${(total / 2 ** 20).toFixed(1)} MiB in ${relative(root, bundle)} (limit ${limit / 2 ** 20} MiB)`);
if (total > limit) throw new Error(`build-bundle: the bundle is ${(total / 2 ** 20).toFixed(1)} MiB, over ${limit / 2 ** 20} MiB`);
