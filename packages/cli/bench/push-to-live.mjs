#!/usr/bin/env node
// Push-to-live latency of `gitpaas up`, measured as a user sees it: from `git push` returning
// to the public port serving the new revision. Two modes in the same run, on the same repo:
//   poll     the sync loop notices the push at its next --period (the baseline: what the
//            seed's `git pull; sleep` loop and kubernetes/git-sync do)
//   trigger  the push is followed by POST /sync, what a forge webhook does
// Usage: node bench/push-to-live.mjs [pushes per mode, default 8]   (after `pnpm build`)
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, git, makeTempDir, removeTempDirs, waitFor } from '@gitpaas/test-utils';
import { execa } from 'execa';
import { helloRemote } from './hello-remote.mjs';

const PUSHES = Number(process.argv[2] ?? 8);
const PERIOD_MS = 2000;
const DEADLINE_MS = 60_000;
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = await makeTempDir('gitpaas-bench-');

async function served(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/version`, { signal: AbortSignal.timeout(2000) });
    return response.ok ? (await response.json()).revision : undefined;
  } catch {
    return undefined;
  }
}

const until = (check, what) => waitFor(check, { timeout: DEADLINE_MS, interval: 10, message: what });

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

const { bare, clone } = await helloRemote(dir);

const port = await freePort();
const httpBind = `127.0.0.1:${await freePort()}`;
const up = execa(
  process.execPath,
  [
    cli,
    'up',
    `--repo=file://${bare}`,
    '--ref=main',
    `--root=${join(dir, 'srv')}`,
    `--period=${PERIOD_MS}ms`,
    `--port=${port}`,
    '--host=127.0.0.1',
    `--http-bind=${httpBind}`,
    '--ready-path=/healthz',
    '--drain-timeout=200ms',
    '--',
    process.execPath,
    'server.js',
  ],
  { stdio: 'ignore', reject: false, forceKillAfterDelay: false },
);

const results = { poll: [], trigger: [] };
let triggerWorks = true;
try {
  const seeded = await git(clone, 'rev-parse', 'HEAD');
  await until(async () => (await served(port)) === seeded, 'the first revision');
  for (let i = 0; i < PUSHES * 2; i++) {
    const mode = i % 2 === 0 ? 'poll' : 'trigger';
    // Pushes land at a random point of the poll cycle, as real ones do.
    await sleep(Math.random() * PERIOD_MS);
    await writeFile(join(clone, 'message.txt'), `push ${i}\n`);
    await git(clone, 'commit', '-qam', `push ${i}`);
    await git(clone, 'push', '-q', 'origin', 'main');
    const hash = await git(clone, 'rev-parse', 'HEAD');
    const pushed = performance.now();
    if (mode === 'trigger') {
      const response = await fetch(`http://${httpBind}/sync`, { method: 'POST' });
      if (!response.ok) triggerWorks = false;
    }
    await until(async () => (await served(port)) === hash, `push ${i} to go live`);
    results[mode].push(performance.now() - pushed);
  }
} finally {
  up.kill('SIGTERM');
  await up;
  await removeTempDirs();
}

const row = (name, values) =>
  `${name.padEnd(8)} p50 ${percentile(values, 50).toFixed(0).padStart(5)} ms   p95 ${percentile(values, 95).toFixed(0).padStart(5)} ms   (n=${values.length})`;
console.log(`push-to-live, gitpaas up, --period ${PERIOD_MS / 1000}s, example app with /healthz readiness`);
console.log(row('poll', results.poll));
console.log(
  row('trigger', results.trigger) + (triggerWorks ? '' : '   (POST /sync not available: also polled)'),
);
console.log(
  `trigger / poll p50 ratio: ${(percentile(results.trigger, 50) / percentile(results.poll, 50)).toFixed(2)}`,
);
