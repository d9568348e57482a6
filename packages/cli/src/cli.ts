#!/usr/bin/env node
import { constants } from 'node:os';
import { commands, main } from './main.js';
import { STOP_SIGNALS } from './signals.js';
import { processTerminal } from './terminal.js';

// The first SIGINT/SIGTERM/SIGHUP (a closed terminal) asks the running command to stop
// cleanly; a second one (an impatient Ctrl-C) exits at once. `sync` and `run` pass every
// signal on to the bin they run instead.
const controller = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals) => {
  signals += 1;
  if (signals > 1) process.exit(128 + constants.signals[signal]);
  controller.abort(signal);
};
if (!commands.find((command) => command.name === process.argv[2])?.forwardsSignals) {
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
}

const code = await main(process.argv.slice(2), {
  terminal: processTerminal(),
  env: process.env,
  signal: controller.signal,
  cwd: process.cwd(),
});
// Everything the command started is stopped by now; exit rather than wait for a library's
// leftover timer (such as an unneeded kill deadline) to run out.
process.exit(code);
