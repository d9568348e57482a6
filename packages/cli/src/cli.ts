#!/usr/bin/env node
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { commands, main } from './main.js';
import { STOP_SIGNALS } from './signals.js';
import { processTerminal } from './terminal.js';

// The first SIGINT/SIGTERM/SIGHUP (a closed terminal) asks the running command to stop
// cleanly; a second one (an impatient Ctrl-C) exits at once. `sync` and `run` pass every
// signal on to the bin they run instead.
const controller = new AbortController();
/** The same signal again within this long is the first one delivered twice, not a second request. */
const DUPLICATE_MS = 1000;
let first: { signal: NodeJS.Signals; at: number } | undefined;
const onSignal = (signal: NodeJS.Signals) => {
  const now = performance.now();
  if (!first) {
    first = { signal, at: now };
    controller.abort(signal);
    return;
  }
  // One Ctrl-C reaches us from the terminal and again from a runner that forwards it to the
  // script it runs (pnpm, npm, tini): exiting on that would skip stopping the app.
  if (signal === first.signal && now - first.at < DUPLICATE_MS) return;
  process.exit(128 + constants.signals[signal]);
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
