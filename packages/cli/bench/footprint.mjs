#!/usr/bin/env node
// Idle footprint of `gitpaas up`: resident memory and CPU of the one process that syncs, proxies
// and supervises, once examples/hello is live and nothing happens but polling (--period 1s).
// Baseline in the same run: an idle node:http server, what any Node program that listens costs.
// Usage: node bench/footprint.mjs   (after `pnpm build`)
// Env: BENCH_IDLE_S (seconds measured after 5 s of settling, default 20), BENCH_ROUNDS (3),
//      BENCH_BEFORE=<an older build's packages/cli/dist/cli.js> (measured beside this one).
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, makeTempDir, removeTempDirs, waitFor } from '@gitpaas/test-utils';
import { helloRemote } from './hello-remote.mjs';

const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CLK_TCK = 100;
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = await makeTempDir('gitpaas-footprint-');
const children = new Set();

async function usage(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return {
    cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK,
    rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024,
  };
}

function start(args) {
  const child = spawn(process.execPath, args, { stdio: 'ignore', detached: true });
  children.add(child);
  return child;
}

function stop(child) {
  children.delete(child);
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {}
  return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
}

/** RSS at the end and CPU (% of a core) over IDLE_S, after 5 s of settling. */
async function measure(child, ready) {
  await ready();
  await sleep(5000);
  const from = await usage(child.pid);
  await sleep(IDLE_S * 1000);
  const to = await usage(child.pid);
  await stop(child);
  return { rssMb: to.rssMb, cpuPercent: (to.cpuMs - from.cpuMs) / (IDLE_S * 10) };
}

async function served(port) {
  try {
    return (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

const { bare } = await helloRemote(dir);

const targets = [['idle node:http server', null]];
targets.push(['gitpaas up', cli]);
if (process.env.BENCH_BEFORE) targets.push(['gitpaas up (before)', process.env.BENCH_BEFORE]);

const results = Object.fromEntries(targets.map(([name]) => [name, []]));
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Rotating order: a slower moment of the machine does not always fall on the same target.
    for (let i = 0; i < targets.length; i++) {
      const [name, bin] = targets[(i + round) % targets.length];
      const port = await freePort();
      process.stderr.write(`round ${round + 1}/${ROUNDS}: ${name}\n`);
      const child = bin
        ? start([
            bin,
            'up',
            `--repo=file://${bare}`,
            '--ref=main',
            `--root=${join(dir, `srv-${round}-${i}`)}`,
            '--period=1s',
            `--port=${port}`,
            '--host=127.0.0.1',
            `--http-bind=127.0.0.1:${await freePort()}`,
          ])
        : start(['-e', `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`]);
      const ready = () =>
        waitFor(() => served(port), { timeout: 60_000, interval: 50, message: `${name} serving` });
      results[name].push(await measure(child, ready));
    }
  }
} finally {
  await Promise.all([...children].map(stop));
  await removeTempDirs();
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const base = median(results['idle node:http server'].map((r) => r.rssMb));
console.log(
  `\nIdle footprint, ${IDLE_S} s after 5 s of settling, median of ${ROUNDS} (node ${process.version})`,
);
console.log('| process | RSS MB | × idle node:http server | CPU % of a core |');
console.log('| --- | --- | --- | --- |');
for (const [name] of targets) {
  const rss = median(results[name].map((r) => r.rssMb));
  const cpu = median(results[name].map((r) => r.cpuPercent));
  console.log(`| ${name} | ${rss.toFixed(1)} | ×${(rss / base).toFixed(2)} | ${cpu.toFixed(2)} |`);
}
if (process.env.BENCH_JSON) console.log(JSON.stringify(results));
