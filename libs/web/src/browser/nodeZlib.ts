import { Buffer } from 'buffer';
import { gunzipSync as gunzip, gzipSync as gzip, inflateSync as inflateRaw, unzlibSync, zlibSync, deflateSync as deflateRaw } from 'fflate';

// `node:zlib`'s synchronous calls that libs/data uses, on fflate (pure JavaScript), for the browser bundle.
const wrap = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
export const inflateRawSync = (bytes: Uint8Array): Buffer => wrap(inflateRaw(bytes));
export const deflateRawSync = (bytes: Uint8Array): Buffer => wrap(deflateRaw(bytes));
export const gunzipSync = (bytes: Uint8Array): Buffer => wrap(gunzip(bytes));
export const gzipSync = (bytes: Uint8Array, options?: { level?: number }): Buffer =>
  wrap(gzip(bytes, options?.level === undefined ? {} : { level: Math.max(0, Math.min(9, options.level)) as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 }));
export const inflateSync = (bytes: Uint8Array): Buffer => wrap(unzlibSync(bytes));
export const deflateSync = (bytes: Uint8Array): Buffer => wrap(zlibSync(bytes));
export const constants = {};
export default { inflateRawSync, deflateRawSync, gunzipSync, gzipSync, inflateSync, deflateSync, constants };
