// `node:os` for the browser bundle: only reached by code paths the page never runs (caches in the home folder).
export const homedir = (): string => '/';
export const tmpdir = (): string => '/tmp';
export const cpus = (): unknown[] => [{}];
export const availableParallelism = (): number => globalThis.navigator?.hardwareConcurrency ?? 1;
export const platform = (): string => 'browser';
export const EOL = '\n';
export default { homedir, tmpdir, cpus, availableParallelism, platform, EOL };
