#!/usr/bin/env node
// Push-to-live latency of `gitpaas up`, measured as a user sees it: from `git push` returning
// to the public port serving the new revision. Two modes in the same run, on the same repo:
//   poll     the sync loop notices the push at its next --period (the baseline: what the
//            seed's `git pull; sleep` loop and kubernetes/git-sync do)
//   trigger  the push is followed by POST /sync, what a forge webhook does
// Usage: node bench/push-to-live.mjs [pushes per mode, default 8]   (after `pnpm build`)
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const PUSHES = Number(process.argv[2] ?? 8);
const PERIOD_MS = 2000;
const DEADLINE_MS = 60_000;
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const hello = fileURLToPath(new URL('../dist/examples/hello/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gitpaas-bench-'));
const git = (args, cwd) =>
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=b@b.invalid', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function served(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/version`, { signal: AbortSignal.timeout(2000) });
    return response.ok ? (await response.json()).revision : undefined;
  } catch {
    return undefined;
  }
}

async function until(check, what) {
  const deadline = Date.now() + DEADLINE_MS;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

const bare = join(dir, 'app.git');
const clone = join(dir, 'work');
git(['init', '-q', '--bare', '--initial-branch=main', bare]);
git(['init', '-q', '--initial-branch=main', clone]);
cpSync(hello, clone, { recursive: true });
git(['add', '-A'], clone);
git(['commit', '-qm', 'seed'], clone);
git(['remote', 'add', 'origin', bare], clone);
git(['push', '-q', 'origin', 'main'], clone);

const port = await freePort();
const httpBind = `127.0.0.1:${await freePort()}`;
const up = spawn(
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
  { stdio: ['ignore', 'ignore', 'ignore'] },
);

const results = { poll: [], trigger: [] };
let triggerWorks = true;
try {
  const seeded = git(['rev-parse', 'HEAD'], clone);
  await until(async () => (await served(port)) === seeded, 'the first revision');
  for (let i = 0; i < PUSHES * 2; i++) {
    const mode = i % 2 === 0 ? 'poll' : 'trigger';
    // Pushes land at a random point of the poll cycle, as real ones do.
    await sleep(Math.random() * PERIOD_MS);
    writeFileSync(join(clone, 'message.txt'), `push ${i}\n`);
    git(['commit', '-qam', `push ${i}`], clone);
    git(['push', '-q', 'origin', 'main'], clone);
    const hash = git(['rev-parse', 'HEAD'], clone);
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
  await new Promise((resolve) => up.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
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
