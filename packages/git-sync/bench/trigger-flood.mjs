#!/usr/bin/env node
// GET /status under a flood of valid triggers: one git-sync bin (built dist/cli.js) on 127.0.0.1
// with a trigger secret. GET /status latency is sampled on its own connection, first idle, then
// while a worker thread floods signed POST /sync from several keep-alive connections for a
// bounded time; a push lands in the middle of the flood and its publish time is measured. Reports
// p50/p99 of /status under flood vs idle as a ratio, the triggers answered per second, and the
// syncs the flood cost (bursts coalesce: one running, one waiting).
//
//   node bench/trigger-flood.mjs [--connections 8] [--seconds 10] [--idle-seconds 5] [--json out.json]
import { writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import {
  benchRun,
  counter,
  freePort,
  makeRepo,
  percentile,
  startGitSync,
  until,
  writeSecret,
} from './lib/harness.mjs';

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '10' },
    'idle-seconds': { type: 'string', default: '5' },
    json: { type: 'string' },
  },
});
const CONNECTIONS = Number(args.connections);
const FLOOD_MS = Number(args.seconds) * 1000;
const IDLE_MS = Number(args['idle-seconds']) * 1000;
for (const [name, value] of [
  ['--connections', CONNECTIONS],
  ['--seconds', FLOOD_MS],
  ['--idle-seconds', IDLE_MS],
]) {
  if (!Number.isFinite(value) || value < 1 || value > 600_000) {
    console.error(`trigger-flood bench: ${name} must be a positive number (at most 600 s)`);
    process.exit(2);
  }
}
const SAMPLE_GAP_MS = 10;

const { base, done } = benchRun('trigger-flood', IDLE_MS + FLOOD_MS + 120_000);

/** GET /status latencies (ms) on one keep-alive connection until `stop()` is true; also what it said. */
async function sampleStatus(port, stop, onStatus = () => {}) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies = [];
  while (!stop()) {
    const t0 = performance.now();
    const text = await new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/status', agent }, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    latencies.push(performance.now() - t0);
    onStatus(JSON.parse(text));
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_GAP_MS));
  }
  agent.destroy();
  return latencies;
}

try {
  const repo = makeRepo(base);
  const secretFile = writeSecret(base);
  const gs = startGitSync({
    repo,
    base,
    name: 'root',
    port: await freePort(),
    args: ['--trigger-secret-file', secretFile],
  });
  if (!(await until(() => gs.published(), 60_000, 50)))
    throw new Error(`git-sync never published:\n${gs.stderr()}`);

  process.stderr.write(`idle ${IDLE_MS / 1000}s… `);
  const idleEnd = Date.now() + IDLE_MS;
  const idle = await sampleStatus(gs.port, () => Date.now() > idleEnd);

  process.stderr.write(`flood ${FLOOD_MS / 1000}s from ${CONNECTIONS} connections…\n`);
  const syncsBefore = await counter(gs, 'git_sync_count_total');
  const fetchesBefore = await counter(gs, 'git_fetch_count_total');
  const floodEnd = Date.now() + FLOOD_MS;
  const worker = new Worker(new URL('./lib/flood-worker.mjs', import.meta.url), {
    workerData: { port: gs.port, connections: CONNECTIONS, until: floodEnd },
  });
  const answered = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  // A push a third into the flood: how long until /status says it is published?
  let pushed = null;
  let pushLiveMs = null;
  const pushTimer = setTimeout(() => {
    pushed = { hash: repo.push(1), at: performance.now() };
  }, FLOOD_MS / 3);
  const flood = await sampleStatus(
    gs.port,
    () => Date.now() > floodEnd,
    (status) => {
      if (pushed && pushLiveMs === null && status.publishedHash === pushed.hash)
        pushLiveMs = performance.now() - pushed.at;
    },
  );
  clearTimeout(pushTimer);
  const statuses = await answered;
  await worker.terminate();
  const triggers = Object.values(statuses).reduce((a, b) => a + b, 0);
  const syncs = (await counter(gs, 'git_sync_count_total')) - syncsBefore;
  const fetches = (await counter(gs, 'git_fetch_count_total')) - fetchesBefore;

  const stats = (xs) => ({ samples: xs.length, p50: percentile(xs, 50), p99: percentile(xs, 99) });
  const results = {
    node: process.version,
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
    connections: CONNECTIONS,
    floodSeconds: FLOOD_MS / 1000,
    idle: stats(idle),
    flood: stats(flood),
    p50Ratio: percentile(flood, 50) / percentile(idle, 50),
    p99Ratio: percentile(flood, 99) / percentile(idle, 99),
    triggersAnswered: statuses,
    triggersPerSecond: triggers / (FLOOD_MS / 1000),
    syncsDuringFlood: syncs,
    fetchesDuringFlood: fetches,
    pushLiveMsDuringFlood: pushLiveMs,
  };
  const ms = (x) => `${x.toFixed(1)} ms`;
  console.log('GET /status latency     samples  p50        p99');
  console.log(
    `idle                    ${String(results.idle.samples).padEnd(7)}  ${ms(results.idle.p50).padEnd(9)}  ${ms(results.idle.p99)}`,
  );
  console.log(
    `under flood             ${String(results.flood.samples).padEnd(7)}  ${ms(results.flood.p50).padEnd(9)}  ${ms(results.flood.p99)}`,
  );
  console.log(
    `ratio (flood ÷ idle)             ×${results.p50Ratio.toFixed(2).padEnd(8)}  ×${results.p99Ratio.toFixed(2)}`,
  );
  console.log(
    `flood: ${triggers} signed triggers from ${CONNECTIONS} connections in ${FLOOD_MS / 1000} s (${Math.round(results.triggersPerSecond)}/s, answers ${JSON.stringify(statuses)}); ` +
      `they cost ${syncs} syncs and ${fetches} fetches; a push during the flood was published in ${pushLiveMs === null ? 'never (!)' : `${Math.round(pushLiveMs)} ms`}; load average ${results.loadAverage.join(' ')}`,
  );
  if (args.json) writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results));
} finally {
  await done();
}
