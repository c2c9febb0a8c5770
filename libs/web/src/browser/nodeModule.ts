import * as dcmjs from 'dcmjs';
import * as jpegLossless from 'jpeg-lossless-decoder-js';

// `createRequire` for the browser bundle: libs/data loads its CommonJS dependencies with require, lazily; here
// each specifier it asks for is a module bundled into the page. The cornerstone codecs come as their
// self-contained builds (the WebAssembly inside the script), so the page never fetches a codec file.
type Factory = () => Promise<unknown>;
const codec = (load: () => Promise<{ default: unknown }>): Factory => async () => (((await load()).default) as () => Promise<unknown>)();
const modules: Record<string, unknown> = {
  dcmjs: (dcmjs as { default?: unknown }).default ?? dcmjs,
  'jpeg-lossless-decoder-js': jpegLossless,
  '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs': codec(() => import('@cornerstonejs/codec-libjpeg-turbo-8bit/decode')),
  '@cornerstonejs/codec-charls/decodewasmjs': codec(() => import('@cornerstonejs/codec-charls/decode')),
  '@cornerstonejs/codec-openjpeg/decodewasmjs': codec(() => import('@cornerstonejs/codec-openjpeg/decode')),
};

export function createRequire(_from: string | URL): (specifier: string) => unknown {
  return (specifier: string) => {
    const module = modules[specifier];
    if (module === undefined) throw new Error(`${specifier} is not part of the browser page (this transfer syntax decodes only in the medseg command)`);
    return module;
  };
}

export default { createRequire };
