#!/usr/bin/env node
// Scale-out: three git-sync bins on 127.0.0.1 as three replicas would run (same repository,
// ref and secret, --period 1h so only the trigger moves them, each naming all three in
// --trigger-fanout). One signed delivery goes to one replica per push (round robin); measured is
// the time from sending it until the link flipped on all three, p50/p95 over the pushes. In the
// same run, the baseline: one bin without fan-out, delivered to directly (what a push costs one
// replica), and the spread (slowest replica − fastest; on one machine it includes three syncs
// sharing the CPUs). A last series freezes one replica (SIGSTOP:
// it accepts connections and never answers, as a node gone dark) and measures the two live ones:
// a hung peer must not slow the others.
//
//   node bench/fanout.mjs [--pushes 8] [--json out.json]
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  benchRun,
  counter,
  deliver,
  freePort,
  makeRepo,
  percentile,
  startGitSync,
  until,
  writeSecret,
} from './lib/harness.mjs';

const { values: args } = parseArgs({
  options: { pushes: { type: 'string', default: '8' }, json: { type: 'string' } },
});
const PUSHES = Number(args.pushes);
if (!Number.isInteger(PUSHES) || PUSHES < 5) {
  console.error('fanout bench: --pushes must be a whole number ≥ 5');
  process.exit(2);
}
const GOAL_MS = 1500;
const PUSH_TIMEOUT_MS = 15_000;

const { base, done } = benchRun('fanout', 5 * 60_000);

/** One push delivered to `to`; ms from the delivery until each of `watch` published it (null: missed). */
async function onePush(repo, n, to, watch) {
  const hash = repo.push(n);
  const t0 = performance.now();
  const status = await deliver(to);
  if (status !== 202) throw new Error(`delivery to ${to.name} answered ${status}`);
  const seen = new Map();
  await until(() => {
    for (const r of watch)
      if (!seen.has(r.name) && r.published() === hash) seen.set(r.name, performance.now() - t0);
    return seen.size === watch.length;
  }, PUSH_TIMEOUT_MS);
  return watch.map((r) => seen.get(r.name) ?? null);
}

function summary(rows) {
  const done = rows.filter((times) => times.every((t) => t !== null));
  const all = done.map((times) => Math.max(...times));
  const spread = done.map((times) => Math.max(...times) - Math.min(...times));
  return {
    pushes: rows.length,
    converged: all.length,
    allP50: percentile(all, 50),
    allP95: percentile(all, 95),
    /** The replica delivered to (first in each row). */
    deliveredP50: percentile(
      done.map((times) => times[0]),
      50,
    ),
    spreadP50: percentile(spread, 50),
    rows,
  };
}

try {
  const repo = makeRepo(base);
  const secretFile = writeSecret(base);
  const ports = [await freePort(), await freePort(), await freePort()];
  const fanout = ports.map((port) => `127.0.0.1:${port}`).join(',');
  const replicas = ports.map((port, i) =>
    startGitSync({
      repo,
      base,
      name: `replica-${i}`,
      port,
      args: ['--trigger-secret-file', secretFile, '--trigger-fanout', fanout],
    }),
  );
  const alone = startGitSync({
    repo,
    base,
    name: 'alone',
    port: await freePort(),
    args: ['--trigger-secret-file', secretFile],
  });
  const first = await until(() => [...replicas, alone].every((r) => r.published()), 60_000, 50);
  if (!first)
    throw new Error(`the bins never published: ${[...replicas, alone].map((r) => r.stderr()).join('\n')}`);

  process.stderr.write(`one alone: ${PUSHES} pushes… `);
  const single = [];
  for (let n = 1; n <= PUSHES; n++) single.push(await onePush(repo, n, alone, [alone]));
  process.stderr.write('all three live… ');
  const live = [];
  for (let n = 1; n <= PUSHES; n++) {
    const to = replicas[n % 3];
    // The replica delivered to first, so the row's first time is its own publish.
    live.push(await onePush(repo, PUSHES + n, to, [to, ...replicas.filter((r) => r !== to)]));
  }

  process.stderr.write('one frozen…\n');
  const [a, b, frozen] = replicas;
  frozen.signal('SIGSTOP');
  const hung = [];
  for (let n = 1; n <= PUSHES; n++) {
    const [to, other] = n % 2 ? [a, b] : [b, a];
    hung.push(await onePush(repo, 2 * PUSHES + n, to, [to, other]));
  }
  const timeouts =
    (await counter(a, 'gitpaas_trigger_fanout_total', 'result="timeout"')) +
    (await counter(b, 'gitpaas_trigger_fanout_total', 'result="timeout"'));
  frozen.signal('SIGCONT');

  const results = {
    node: process.version,
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
    goalMs: GOAL_MS,
    alone: summary(single),
    allLive: summary(live),
    oneFrozen: { ...summary(hung), timeouts },
  };
  const ms = (x) => (x === undefined || x === null ? '-' : `${Math.round(x)} ms`);
  const row = (name, r) => [
    name,
    `${r.converged}/${PUSHES}`,
    ms(r.allP50),
    ms(r.allP95),
    ms(r.deliveredP50),
    ms(r.spreadP50),
  ];
  const rows = [
    ['series', 'converged', 'p50 all', 'p95 all', 'p50 delivered-to', 'p50 spread'],
    row('1 bin alone, no fan-out', results.alone),
    row('3 replicas live', results.allLive),
    row('1 of 3 frozen (2 measured)', results.oneFrozen),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
  console.log(
    `goal: every replica live within ${GOAL_MS} ms of the delivery (p95): ${results.allLive.allP95 <= GOAL_MS ? 'met' : 'missed'}; ` +
      `3 replicas ÷ 1 alone (p50): ×${(results.allLive.allP50 / results.alone.allP50).toFixed(2)}; ` +
      `fan-outs to the frozen replica that timed out in the background: ${timeouts}; load average ${results.loadAverage.join(' ')}`,
  );
  if (args.json) writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results));
} finally {
  await done();
}
