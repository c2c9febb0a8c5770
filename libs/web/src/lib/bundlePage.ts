import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
/** The compiled module next to this one (dist/), or the TypeScript source when running from src/ (tests). */
function sibling(relative: string): string {
  const js = join(here, `${relative}.js`);
  return existsSync(js) ? js : join(here, `${relative}.ts`);
}

/** Node built-ins the browser bundle replaces with an implementation of its own (see src/browser/). */
const replacements: Record<string, string> = {
  'fs/promises': '../browser/virtualFs',
  zlib: '../browser/nodeZlib',
  crypto: '../browser/nodeCrypto',
  module: '../browser/nodeModule',
  os: '../browser/nodeOs',
};
/** Modules that exist only in Node (native addons, threads, processes): any use in the page throws. */
const unavailable = /^(node:.*|fs|child_process|worker_threads|perf_hooks|url|util|stream|http|https|net|tls|readline|vm|sharp|@tensorflow\/tfjs-node(-gpu)?|webgpu)$/;
const unavailableModule = `module.exports = new Proxy({}, { get(_t, name) {
  if (name === '__esModule' || typeof name === 'symbol') return undefined;
  return function unavailable() { throw new Error(String(name) + ': not available in the browser page'); };
} });`;

/** Resolves Node built-ins for the browser: replaced where libs/data needs them, refused at use elsewhere. */
const browserShims: Plugin = {
  name: 'medseg-browser-shims',
  setup(b) {
    b.onResolve({ filter: /^(node:)?(fs\/promises|zlib|crypto|module|os|path)$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      const target = name === 'path' ? fileURLToPath(import.meta.resolve('pathe')) : sibling(replacements[name]!);
      // A .cjs name: the folder's package.json says "type": "module", which would make a .js wrapper ESM.
      return { path: `${name}.cjs`, namespace: 'node-replaced', pluginData: target };
    });
    // Through CommonJS, so that a name the stand-in lacks (a call the page never makes) is not a build error.
    b.onLoad({ filter: /.*/, namespace: 'node-replaced' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.pluginData)});`, loader: 'js', resolveDir: here }));
    b.onResolve({ filter: unavailable }, (args) => ({ path: args.path, namespace: 'node-unavailable' }));
    b.onLoad({ filter: /.*/, namespace: 'node-unavailable' }, () => ({ contents: unavailableModule, loader: 'js' }));
  },
};

/**
 * The page's one script: src/page/main with libs/data, libs/models and TensorFlow.js (WebGPU, WebGL and wasm
 * backends), built by esbuild for the browser, minified. Node built-ins are replaced (in-memory files,
 * fflate, a synchronous SHA-256) or refused at use.
 */
export async function bundlePage(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [sibling('../page/main')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'eof',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    plugins: [browserShims],
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild produced no output');
  return output.contents;
}
