// Preloaded into a child (`node -r`): reports the process's peak resident memory on exit, for tests that check
// a command stays under a memory cap.
process.on('exit', () => process.stderr.write(`\nmedseg-test-maxrss-kb=${process.resourceUsage().maxRSS}\n`));
