#!/usr/bin/env node
// Thin bootstrap: the CLI itself never touches process state, so it can run in-process in tests.
import { run } from '../dist/main.js';

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  isTTY: Boolean(process.stderr.isTTY),
});
