import { Buffer } from 'buffer';

// Globals that Node code in the bundle refers to without importing. The page's entry imports this module
// first, so it runs before any other module's top level.
const scope = globalThis as unknown as { Buffer?: unknown; process?: unknown };
scope.Buffer ??= Buffer;
scope.process ??= { env: {}, pid: 1, platform: 'browser', versions: {}, cwd: () => '/' };
