#!/usr/bin/env node
// The sync pipeline alone, side by side in one run on 127.0.0.1 (file:// remote): the gitpaas
// git-sync bin, kubernetes/git-sync (the Go peer; BENCH_GITSYNC_PEER=/path/to/its binary) and
// the raw git floor, on a repository of N files, on tmpfs and on disk:
//   1. first sync (--one-time) on an empty root: start to exit, start to the first git command,
//      git processes, time outside git (what the tool adds); `node -e 0` beside it is the start-up
//      any Node program pays;
//   2. commit → link flip of a 1-file change, the tool woken by SIGHUP (--sync-on-signal, both
//      tools): the first update after start, the first after a restart, then steady updates;
//      floor = `git fetch --depth 1` + `git reset --hard FETCH_HEAD` in a clone;
//   3. idle: polling an unchanged remote every second: CPU per poll (the tool and its git),
//      resident memory; baseline = a bare `git ls-remote` of the same remote.
// Every git command is traced (GIT_TRACE2_EVENT) to tell git's time from the tool's.
// Env: BENCH_FILES (default 10000,20000), BENCH_PLACES (tmpfs,disk), BENCH_ROUNDS (one-time runs
// per tool, 5), BENCH_UPDATES (steady updates, 5), BENCH_IDLE_S (idle window, 20), BENCH_JSON;
// BENCH_GITSYNC_BIN replaces the bin measured (default: packages/git-sync/dist/cli.js);
// BENCH_GITSYNC_BEFORE=/path/to/an/older/dist/cli.js adds that build as "before" (a change
// measured against what it replaces, in the same run).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { killAllGroups, startGroup } from './lib/processes.mjs';
import { syncReport } from './lib/sync-report.mjs';
import {
  flipped,
  GIT_SYNC,
  gitAsync,
  gitSync,
  gitTime,
  linkOf,
  makeRepo,
  readTrace,
  settled,
  startDaemon,
  stopDaemon,
  toolCommand,
  toolEnv,
  usage,
  wallNow,
} from './lib/sync-tools.mjs';

const list = (name, fallback) => (process.env[name] ?? fallback).split(',').filter(Boolean);
const SIZES = list('BENCH_FILES', '10000,20000').map(Number);
const PLACES = list('BENCH_PLACES', 'tmpfs,disk');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const UPDATES = Number(process.env.BENCH_UPDATES ?? 5);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 20);
const PEER = process.env.BENCH_GITSYNC_PEER;
const BEFORE = process.env.BENCH_GITSYNC_BEFORE;
const WATCHDOG_MS = 40 * 60_000;
const TMPFS_MAGIC = 0x01021994;

if (!existsSync(GIT_SYNC)) {
  console.error(`${GIT_SYNC} is missing: run \`pnpm build\` first`);
  process.exit(2);
}
if (PEER && !existsSync(PEER)) {
  console.error(`BENCH_GITSYNC_PEER=${PEER} does not exist (see benchmarks/README.md to build it)`);
  process.exit(2);
}
if (BEFORE && !existsSync(BEFORE)) {
  console.error(`BENCH_GITSYNC_BEFORE=${BEFORE} does not exist`);
  process.exit(2);
}
const TOOLS = ['gitpaas', ...(BEFORE ? ['before'] : []), ...(PEER ? ['peer'] : [])];
if (!PEER) console.error('BENCH_GITSYNC_PEER is not set: kubernetes/git-sync is left out of this run');

const temps = new Set();
const cleanup = () => {
  killAllGroups();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
const watchdog = setTimeout(() => {
  console.error('benchmark: still running after 40 min, stopping everything');
  cleanup();
  process.exit(1);
}, WATCHDOG_MS);

const rotate = (xs, n) => xs.map((_, i) => xs[(i + n) % xs.length]);

/** One --one-time run on an empty root: wall times and what git did. */
async function oneTime(tool, repo, base, n) {
  const root = join(base, `once-${tool}-${n}`);
  const trace = join(base, `once-${tool}-${n}.trace`);
  const started = wallNow();
  if (tool === 'node') {
    // What any Node program pays before its first line: the floor of the gitpaas bin's start-up.
    await startGroup(process.execPath, ['-e', '0'], {}).exited;
  } else if (tool === 'floor') {
    await gitAsync(base, ['clone', '-q', '--depth', '1', '--no-tags', repo.url, root], toolEnv(base, trace));
  } else {
    const args = ['--repo', repo.url, '--root', root, '--ref', 'main', '--link', 'app', '--one-time'];
    const [command, argv] = toolCommand(tool, { peer: PEER, before: BEFORE }, args);
    const group = startGroup(command, argv, { env: toolEnv(base, trace) });
    const { code } = await group.exited;
    if (code !== 0)
      throw new Error(`${tool} --one-time exited ${code}: ${group.lines.slice(-3).join(' | ')}`);
    if (!linkOf(root)) throw new Error(`${tool} --one-time published nothing`);
  }
  const ended = wallNow();
  const runs = readTrace(trace);
  rmSync(root, { recursive: true, force: true });
  rmSync(trace, { force: true });
  return {
    totalMs: ended - started,
    firstGitMs: runs.length ? runs[0].start - started : null,
    gitMs: gitTime(runs),
    gits: runs.length,
    commands: runs.map((r) => r.name),
  };
}

/** One update: push, wake the tool, time until the link moved (the floor: fetch + reset). */
async function update(tool, ctx) {
  if (tool === 'floor') {
    const started = wallNow();
    const env = toolEnv(ctx.base, null);
    await gitAsync(
      ctx.floor,
      ['fetch', '-q', '--depth', '1', '--no-tags', '--no-auto-gc', ctx.repo.url, 'main'],
      env,
    );
    await gitAsync(ctx.floor, ['reset', '-q', '--hard', 'FETCH_HEAD'], env);
    return { flipMs: wallNow() - started };
  }
  const { group, root, trace } = ctx.daemons[tool];
  await settled(group.child.pid);
  const before = linkOf(root);
  const started = wallNow();
  process.kill(group.child.pid, 'SIGHUP');
  const flip = await flipped(root, before).catch((error) => {
    throw new Error(`${tool}: ${error.message}: ${group.lines.slice(-4).join(' | ')}`);
  });
  await settled(group.child.pid);
  if (!linkOf(root).endsWith(ctx.hash)) throw new Error(`${tool} published ${linkOf(root)}, not ${ctx.hash}`);
  const runs = readTrace(trace, started);
  const before_ = runs.filter((r) => r.start < flip);
  return {
    flipMs: flip - started,
    gitMs: gitTime(before_),
    gits: before_.length,
    commands: before_.map((r) => r.name),
    after: runs.length - before_.length,
  };
}

async function startDaemons(ctx, period) {
  const traced = {};
  for (const tool of TOOLS) {
    const root = join(ctx.base, `root-${tool}`);
    const trace = join(ctx.base, `${tool}.trace`);
    traced[tool] = readTrace(trace).length;
    const group = startDaemon({
      tool,
      bins: { peer: PEER, before: BEFORE },
      repo: ctx.repo.url,
      root,
      base: ctx.base,
      trace,
      period,
    });
    ctx.daemons[tool] = { group, root, trace };
  }
  for (const tool of TOOLS) {
    const { group, root } = ctx.daemons[tool];
    const end = performance.now() + 300_000;
    while (!linkOf(root)?.endsWith(ctx.hash)) {
      if (!group.alive) throw new Error(`${tool} exited: ${group.lines.slice(-3).join(' | ')}`);
      if (performance.now() > end) throw new Error(`${tool} did not publish ${ctx.hash}`);
      await sleep(20);
    }
    // A restarted tool finds its link in place: its start-up sync must have begun before the next
    // push, or that sync (not the SIGHUP) publishes the push and the update is never seen.
    while (readTrace(ctx.daemons[tool].trace).length <= traced[tool]) {
      if (!group.alive) throw new Error(`${tool} exited: ${group.lines.slice(-3).join(' | ')}`);
      if (performance.now() > end) throw new Error(`${tool} ran no git after its start`);
      await sleep(20);
    }
    await settled(group.child.pid);
  }
}

async function stopDaemons(ctx) {
  for (const tool of TOOLS) await stopDaemon(ctx.daemons[tool].group);
}

async function updates(ctx) {
  const tools = ['floor', ...TOOLS];
  const out = { afterStart: {}, afterRestart: {}, steady: {} };
  for (const tool of tools) out.steady[tool] = [];
  await startDaemons(ctx, '1h');
  ctx.hash = ctx.repo.push();
  for (const tool of tools) out.afterStart[tool] = await update(tool, ctx);
  await stopDaemons(ctx);
  await startDaemons(ctx, '1h');
  ctx.hash = ctx.repo.push();
  for (const tool of rotate(tools, 1)) out.afterRestart[tool] = await update(tool, ctx);
  for (let n = 0; n < UPDATES; n++) {
    ctx.hash = ctx.repo.push();
    for (const tool of rotate(tools, n)) out.steady[tool].push(await update(tool, ctx));
  }
  await stopDaemons(ctx);
  return out;
}

/** Idle polling at 1 s: CPU per poll (tool + its git) and resident memory, beside a bare ls-remote. */
async function idle(ctx) {
  await startDaemons(ctx, '1s');
  await sleep(3000);
  const from = {};
  const started = wallNow();
  for (const tool of TOOLS) from[tool] = usage(ctx.daemons[tool].group.child.pid);
  await sleep(IDLE_S * 1000);
  const out = {};
  for (const tool of TOOLS) {
    const { group, trace } = ctx.daemons[tool];
    const to = usage(group.child.pid);
    const polls = readTrace(trace, started).filter(
      (r) => r.name === 'ls-remote' || r.name === 'fetch',
    ).length;
    out[tool] = {
      polls,
      cpuPerPollMs: (to.cpuMs - from[tool].cpuMs) / Math.max(1, polls),
      rssMb: to.rssKb / 1024,
    };
  }
  await stopDaemons(ctx);
  // bash's `times`: CPU of its children, i.e. the ls-remotes (and git's upload-pack under them).
  const n = 40;
  const env = toolEnv(ctx.base, join(ctx.base, 'ls-remote.trace'));
  const times = execBash(
    `for ((i=0;i<${n};i++)); do git ls-remote ${ctx.repo.url} main >/dev/null; done; times`,
    ctx.base,
    env,
  );
  const [user, sys] = times.split('\n')[1].split(/\s+/).map(minutes);
  out.lsRemote = { cpuPerPollMs: ((user + sys) * 1000) / n };
  return out;
}

const minutes = (text) => {
  const [, m, s] = /(\d+)m([\d.]+)s/.exec(text);
  return Number(m) * 60 + Number(s);
};

function execBash(script, cwd, env) {
  return execFileSync('bash', ['-c', script], { cwd, env: { ...process.env, ...env } }).toString();
}

const results = [];
const startedAt = Date.now();
try {
  for (const place of PLACES) {
    const dir = place === 'tmpfs' ? '/dev/shm' : tmpdir();
    const onTmpfs = statfsSync(dir).type === TMPFS_MAGIC;
    if ((place === 'tmpfs') !== onTmpfs)
      console.error(`warning: ${dir} for "${place}" is ${onTmpfs ? '' : 'not '}tmpfs`);
    for (const files of SIZES) {
      const base = mkdtempSync(join(dir, 'gitsync-bench-'));
      temps.add(base);
      mkdirSync(base, { recursive: true });
      process.stderr.write(`${place}, ${files} files: repository… `);
      const repo = makeRepo(base, files, toolEnv(base, null));
      const ctx = {
        base,
        repo,
        daemons: {},
        hash: gitSync(base, ['ls-remote', repo.url, 'main'], toolEnv(base, null)).split('\t')[0],
      };
      process.stderr.write('first syncs… ');
      const once = {};
      const onceTools = ['floor', 'node', ...TOOLS];
      for (const tool of onceTools) once[tool] = [];
      for (let n = 0; n < ROUNDS; n++) {
        for (const tool of rotate(onceTools, n)) once[tool].push(await oneTime(tool, repo, base, n));
      }
      process.stderr.write('updates… ');
      ctx.floor = join(base, 'floor');
      await gitAsync(
        base,
        ['clone', '-q', '--depth', '1', '--no-tags', repo.url, ctx.floor],
        toolEnv(base, null),
      );
      const upd = await updates(ctx);
      process.stderr.write('idle…\n');
      const idl = await idle(ctx);
      results.push({ place, files, once, updates: upd, idle: idl });
      rmSync(base, { recursive: true, force: true });
      temps.delete(base);
    }
  }
} finally {
  clearTimeout(watchdog);
  cleanup();
}
const json = {
  node: process.version,
  git: gitSync('.', ['--version'], {}),
  peer: PEER ?? null,
  before: BEFORE ?? null,
  rounds: ROUNDS,
  updates: UPDATES,
  idleSeconds: IDLE_S,
  seconds: Math.round((Date.now() - startedAt) / 1000),
  results,
};
syncReport(json);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, `${JSON.stringify(json, null, 2)}\n`);
console.log(JSON.stringify(json));
