#!/usr/bin/env node
import { main } from './main.js';
import { processTerminal } from './terminal.js';

// The first SIGINT/SIGTERM asks the running command to stop cleanly; a second one
// (an impatient Ctrl-C) exits at once.
const controller = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals) => {
  signals += 1;
  if (signals > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
  controller.abort(signal);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await main(process.argv.slice(2), {
  terminal: processTerminal(),
  env: process.env,
  signal: controller.signal,
  cwd: process.cwd(),
});
// Everything the command started is stopped by now; exit rather than wait for a library's
// leftover timer (such as an unneeded kill deadline) to run out.
process.exit(code);
