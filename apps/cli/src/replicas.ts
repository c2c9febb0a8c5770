export const workersOptionHelp =
  'threads that share the work, each a copy of the network (data parallelism for the one-thread wasm and cpu backends; ' +
  'results are reproducible for the same number of workers)';
