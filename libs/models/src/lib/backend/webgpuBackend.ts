import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError } from './backendUnavailableError.js';

// Specifiers held in variables: both packages are optional dependencies, so TypeScript must not require their
// types, and a missing package must surface as a rejected import at run time (lazy: nothing loads at startup).
const tfjsWebgpu = '@tensorflow/tfjs-backend-webgpu';
const dawn = 'webgpu';

export const webgpuInstallHint = `npm install ${tfjsWebgpu}@4.22.0 ${dawn}@0.6.2`;

/** The WebGPU objects medseg touches, typed structurally (the packages' own types are optional). */
interface GpuLimits {
  readonly [name: string]: number | undefined;
}
interface GpuAdapterInfo {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}
interface GpuDevice {
  readonly limits: GpuLimits;
  readonly lost: Promise<{ readonly reason?: string; readonly message?: string }>;
  destroy(): void;
}
interface GpuAdapter {
  readonly features: { has(name: string): boolean };
  readonly limits: GpuLimits;
  readonly info?: GpuAdapterInfo;
  readonly isFallbackAdapter?: boolean;
  requestDevice(descriptor: { requiredFeatures: string[]; requiredLimits: Record<string, number> }): Promise<GpuDevice>;
}
interface Gpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapter | null>;
}
interface DawnModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}
interface WebgpuModule {
  WebGPUBackend: new (device: GpuDevice, adapterInfo?: GpuAdapterInfo) => tf.KernelBackend;
}

/** What Dawn's adapter says of itself, for the user and the run record. */
export interface WebgpuAdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** The limits requested for the device (each the adapter's maximum). */
  readonly limits: Readonly<Record<string, number>>;
}

/**
 * Device limits tfjs-backend-webgpu's programs depend on, each asked for at the adapter's maximum: the default
 * limits (128 MiB bindings, 8 storage buffers per stage) are too small for a 256x256 batch-16 U-Net's activations
 * and for kernels such as Concat and AddN that bind many inputs.
 */
export const webgpuRequiredLimits: readonly string[] = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeInvocationsPerWorkgroup',
];

/** Software renderers that expose a WebGPU adapter but run on the CPU (slower than wasm). */
const softwareRenderer = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

/** Why an adapter is not a real GPU, or undefined when it is one. */
export function softwareAdapterReason(info: GpuAdapterInfo, fallbackFlag = false): string | undefined {
  const name = [info.vendor, info.architecture, info.device, info.description].filter((s) => s !== undefined && s !== '').join(' ');
  if (info.isFallbackAdapter === true || fallbackFlag) return `Dawn's only adapter is a fallback (software) adapter${name === '' ? '' : ` (${name})`}`;
  if (softwareRenderer.test(name)) return `Dawn's only adapter is a software renderer (${name})`;
  return undefined;
}

/**
 * On Linux Dawn reaches the GPU through Vulkan: without the loader (libvulkan.so.1) it finds no adapter and prints
 * a native warning. Asked first, by the dynamic loader itself, so that a machine without Vulkan gets a precise
 * reason and no native noise: `process.dlopen` of a library that is not a Node addon fails *after* loading it
 * ("did not self-register"), and with "cannot open shared object file" when the loader cannot find it.
 */
export function vulkanLoaderProblem(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, 'libvulkan.so.1');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/cannot open shared object|no such file/i.test(message)) {
      return (
        'no Vulkan loader: libvulkan.so.1 cannot be loaded, and Dawn reaches the GPU through Vulkan on Linux. Install ' +
        "the GPU driver's Vulkan support (Debian/Ubuntu: `libvulkan1` and the vendor's driver, whose ICD file such as " +
        'nvidia_icd.json the loader finds, or name it in VK_DRIVER_FILES)'
      );
    }
  }
  return undefined;
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

function unavailable(message: string, cause?: unknown): BackendUnavailableError {
  return new BackendUnavailableError('webgpu', `${message}. Use --backend wasm on this machine.`, cause === undefined ? {} : { cause });
}

/** Makes navigator.gpu and the WebGPU constants (GPUBufferUsage, GPUMapMode...) visible as browsers have them. */
function installGlobals(module: DawnModule, gpu: Gpu): void {
  for (const [name, value] of Object.entries(module.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const existing = (globalThis as { navigator?: object }).navigator;
  if (existing !== undefined && existing !== null) {
    // Node 21+ has a navigator of its own: add gpu to it rather than replacing it (userAgent, hardwareConcurrency).
    Object.defineProperty(existing, 'gpu', { value: gpu, configurable: true, writable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
}

export interface WebgpuOptions {
  /** Dawn's own options (`create([...])`): `backend=vulkan`, `adapter=NAME`, `enable-dawn-features=...`. */
  readonly dawnFlags?: readonly string[];
  /**
   * How to load the two packages; by default `import()` by name from node_modules. A bundle (bench/gpu) passes
   * its own, so that tfjs-backend-webgpu is bundled with the one tfjs-core the rest of the code uses.
   */
  readonly modules?: { readonly dawn?: () => Promise<unknown>; readonly tfjsWebgpu?: () => Promise<unknown> };
}

interface Started {
  readonly summary: WebgpuAdapterSummary;
  readonly device: GpuDevice;
}

let started: Promise<Started> | undefined;
/** Whether the last device was lost (not by medseg's own destroy). */
let deviceLost = false;

async function start(options: WebgpuOptions): Promise<Started> {
  const dawnFlags = options.dawnFlags ?? [];
  // Only Dawn's Vulkan backend (the Linux default) needs the loader; `backend=null|opengl...` does not.
  const backendFlag = dawnFlags.find((f) => f.startsWith('backend='));
  const vulkan = backendFlag === undefined || backendFlag === 'backend=vulkan' ? vulkanLoaderProblem() : undefined;
  if (vulkan !== undefined) throw unavailable(vulkan);
  let dawnModule: DawnModule;
  try {
    dawnModule = (await (options.modules?.dawn?.() ?? import(dawn))) as DawnModule;
  } catch (error) {
    throw new BackendUnavailableError(
      'webgpu',
      `cannot load ${dawn} (Dawn: ${reasonOf(error)}). Install it and the tfjs backend with \`${webgpuInstallHint}\` ` +
        '(Dawn ships prebuilt for linux-x64, macOS and Windows; nothing is downloaded at install time)',
      { cause: error },
    );
  }
  const gpu = dawnModule.create([...dawnFlags]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) {
    throw unavailable(
      'Dawn found no GPU adapter: the Vulkan loader is there but no driver offered a device with the features WebGPU ' +
        'needs (no Vulkan driver for a GPU; Mesa\'s lavapipe lacks them). `vulkaninfo --summary` lists what the loader sees',
    );
  }
  const info: GpuAdapterInfo = adapter.info ?? {};
  const software = softwareAdapterReason(info, adapter.isFallbackAdapter === true);
  if (software !== undefined) throw unavailable(`${software}, which is slower than wasm`);

  const limits: Record<string, number> = {};
  for (const name of webgpuRequiredLimits) {
    const value = adapter.limits[name];
    if (typeof value === 'number') limits[name] = value;
  }
  // timestamp-query only lets tf.profile time kernels; tfjs asks for it when the adapter has it, and so do we.
  const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  let device: GpuDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits: limits });
  } catch (error) {
    throw unavailable(`the adapter refused a device with its own maximum limits (${reasonOf(error)})`, error);
  }
  void device.lost.then((lost) => {
    // A lost device (driver reset) makes every later kernel fail: the next activation starts a new one.
    if (lost.reason === 'destroyed') return;
    deviceLost = true;
    started = undefined;
  });

  installGlobals(dawnModule, gpu);
  let webgpu: WebgpuModule;
  try {
    webgpu = (await (options.modules?.tfjsWebgpu?.() ?? import(tfjsWebgpu))) as WebgpuModule;
  } catch (error) {
    device.destroy();
    throw new BackendUnavailableError(
      'webgpu',
      `cannot load ${tfjsWebgpu} (${reasonOf(error)}). Install it with \`${webgpuInstallHint}\``,
      { cause: error },
    );
  }
  // The package registers a factory of its own at import (it requests a device with tfjs's choice of limits and
  // features); replace it with one over the device made above.
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  const backend = new webgpu.WebGPUBackend(device, info);
  tf.registerBackend('webgpu', () => backend, 3);
  // The backend checks navigator.gpu only when it is constructed; a reference left there would keep Dawn, and
  // with it the process, alive after the work is done (Dawn's README, crbug 387965810).
  delete (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
  const summary: WebgpuAdapterSummary = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    limits,
  };
  return { summary, device };
}

/**
 * Starts tfjs-backend-webgpu on Dawn in Node and makes it the active backend: checks for the Vulkan loader (Linux),
 * loads Dawn, takes a high-performance adapter only if it is a real GPU, requests a device with the limits tfjs
 * needs set to the adapter's maximum, installs navigator.gpu and the WebGPU globals, registers the backend over
 * that device and proves it computes (a sum read back asynchronously). Every failure is a BackendUnavailableError
 * naming the missing piece. The device is made once per process; later calls only switch back to it.
 */
export async function activateWebgpuBackend(options: WebgpuOptions = {}): Promise<WebgpuAdapterSummary> {
  if (started === undefined && deviceLost) {
    // A new device replaces the lost one; the old backend goes with it.
    if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
    deviceLost = false;
  }
  started ??= start(options);
  let current: Started;
  try {
    current = await started;
  } catch (error) {
    started = undefined;
    throw error;
  }
  try {
    let ok: boolean;
    try {
      ok = await tf.setBackend('webgpu');
      await tf.ready();
    } catch (error) {
      throw unavailable(`the tfjs webgpu backend failed to start on the device (${reasonOf(error)})`, error);
    }
    if (!ok) throw unavailable('the tfjs webgpu backend failed to start on the device');
    // Synchronous reads (dataSync) need OffscreenCanvas on this backend, which Node lacks: read asynchronously.
    const probe = tf.tidy(() => tf.tensor1d([1, 2, 3, 4]).square().sum());
    const value = (await probe.data())[0];
    probe.dispose();
    if (value !== 30) throw unavailable(`the device started but computed 1²+2²+3²+4² = ${value}, not 30`);
  } catch (error) {
    // Leave no broken backend behind: the next op (or auto's next candidate) gets another one.
    started = undefined;
    if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
    current.device.destroy();
    throw error;
  }
  return current.summary;
}
