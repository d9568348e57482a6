#!/usr/bin/env node
// pnpm bench (benchmarks/): the seed's `git pull; sleep P` loop + nodemon, the same loop +
// `node --watch`, and `gitpaas up` (polling at the same P, and with POST /sync after the push),
// head to head in one run, on 127.0.0.1 only. Every number is also given as a ratio against
// the seed + nodemon baseline measured in the same run with the same app.
//   1. push-to-live latency over N pushes (p50/p95) and the requests a steady ~100 req/s
//      client saw fail (refused, reset, timeout, 5xx) meanwhile; an app that needs 300 ms to
//      listen shows the restart gap.
//   2. one push changing 2000 files: app starts it causes, whether the app is alive after.
// Env: BENCH_PUSHES (default 12), BENCH_PERIOD_MS (default 1000), BENCH_JSON (write JSON there).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { failuresBetween, startLoad } from './lib/load.mjs';
import { killAllGroups, killSurvivors, survivors, treeOf } from './lib/processes.mjs';
import { createAppRepo } from './lib/repo.mjs';
import { printReport } from './lib/report.mjs';
import { TOOLS } from './lib/tools.mjs';

function envInt(name, fallback, min) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < min) {
    console.error(
      `benchmark: ${name}=${process.env[name]} is not a whole number ≥ ${min}; unset it or fix it`,
    );
    process.exit(2);
  }
  return value;
}
const PUSHES = envInt('BENCH_PUSHES', 12, 1);
const PERIOD_MS = envInt('BENCH_PERIOD_MS', 1000, 100);
const BIG_CHANGE_FILES = 2000;
const STARTUP_TIMEOUT_MS = 90_000;
const PUSH_TIMEOUT_MS = PERIOD_MS * 3 + 5000;
// node --watch stops reloading (peers.md); two misses in a row end that series early.
const MISSES_TO_GIVE_UP = 2;
const BIG_CHANGE_LIVE_TIMEOUT_MS = 20_000;
const WATCHDOG_MS = 9 * 60_000;

const temps = new Set();
function cleanup() {
  killAllGroups();
  for (const dir of temps) {
    // gitpaas runs the app in its own process group: killed here by the PIDs it logged.
    killSurvivors(join(dir, 'starts.log'));
    rmSync(dir, { recursive: true, force: true });
  }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}
const watchdog = setTimeout(() => {
  console.error(`benchmark: still running after ${WATCHDOG_MS / 60_000} min, stopping everything`);
  cleanup();
  process.exit(1);
}, WATCHDOG_MS);

const percentile = (values, p) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

async function get(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
    return response.ok ? (await response.text()).trim() : undefined;
  } catch {
    return undefined;
  }
}

async function until(check, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const value = await check();
    if (value) return value;
    await sleep(10);
  }
  return undefined;
}

const countLines = (file) => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
};

/** Sets up a fresh repo and tool, runs `body` with a steady client, tears everything down. */
async function withTool(toolName, { delayMs, assets }, body) {
  const dir = mkdtempSync(join(tmpdir(), 'gitpaas-h2h-'));
  temps.add(dir);
  const repo = createAppRepo(dir, { assets });
  const startLog = join(dir, 'starts.log');
  const tool = await TOOLS[toolName]({ dir, repo, delayMs, startLog, periodMs: PERIOD_MS });
  try {
    if (!(await until(async () => (await get(tool.port)) === 'v0', STARTUP_TIMEOUT_MS))) {
      throw new Error(
        `${toolName}: v0 not served within ${STARTUP_TIMEOUT_MS / 1000} s\n${tool.leader.lines.slice(-20).join('\n')}`,
      );
    }
    const load = startLoad(tool.port);
    try {
      return await body({ tool, repo, load, startLog });
    } finally {
      load.stop();
    }
  } finally {
    await tool.stop();
    // What the tool left running after it was told to stop: counted, then killed.
    const leftover = killSurvivors(startLog);
    if (leftover) console.error(`  ${toolName}: ${leftover} app process(es) outlived the tool (killed)`);
    rmSync(dir, { recursive: true, force: true });
    temps.delete(dir);
  }
}

async function pushSeries(toolName, delayMs) {
  return withTool(toolName, { delayMs, assets: 0 }, async ({ tool, repo, load, startLog }) => {
    const startsBefore = countLines(startLog);
    const from = performance.now();
    const latencies = [];
    const live = [];
    let misses = 0;
    for (let i = 1; i <= PUSHES && misses < MISSES_TO_GIVE_UP; i++) {
      // Pushes land at a random point of the poll cycle, as real ones do.
      await sleep(Math.random() * PERIOD_MS);
      const version = `v${i}`;
      repo.push(version);
      const pushed = performance.now();
      if (tool.trigger) await tool.trigger();
      const seen = await until(async () => load.firstSeen(version, pushed), PUSH_TIMEOUT_MS);
      live.push(Boolean(seen));
      if (seen) latencies.push(seen.done - pushed);
      misses = seen ? 0 : misses + 1;
    }
    const to = performance.now() + 300;
    await sleep(300);
    load.stop();
    await until(async () => load.records.every((r) => r.done), 3000);
    const requests = failuresBetween(load.records, from, to);
    return {
      tool: toolName,
      startDelayMs: delayMs,
      pushes: live.length,
      live: live.filter(Boolean).length,
      liveByPush: live,
      keptReloadingAfterFirstPush: live.slice(1).some(Boolean),
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      requests: requests.total,
      failed: requests.failed,
      failureKinds: requests.kinds,
      longestGapMs: requests.longestGap,
      appStarts: countLines(startLog) - startsBefore,
    };
  });
}

async function bigChange(toolName) {
  const body = async ({ tool, repo, load, startLog }) => {
    const startsBefore = countLines(startLog);
    const linesBefore = tool.leader.lines.length;
    const restartMessages = () =>
      tool.restartPattern
        ? tool.leader.lines.slice(linesBefore).filter((line) => tool.restartPattern.test(line)).length
        : null;
    const activity = () => countLines(startLog) + (restartMessages() ?? 0);
    const from = performance.now();
    repo.push('v1', { assets: BIG_CHANGE_FILES, generation: 1 });
    const pushed = performance.now();
    const seen = await until(async () => load.firstSeen('v1', pushed), BIG_CHANGE_LIVE_TIMEOUT_MS);
    // Settle: no app start and no restart message for 3 s (at most 15 s more), so late
    // restarts are counted too.
    let last = activity();
    let quietSince = performance.now();
    const settleDeadline = performance.now() + 15_000;
    while (performance.now() - quietSince < 3000 && performance.now() < settleDeadline) {
      await sleep(100);
      const now = activity();
      if (now !== last) {
        last = now;
        quietSince = performance.now();
      }
    }
    const to = performance.now();
    load.stop();
    await until(async () => load.records.every((r) => r.done), 3000);
    const requests = failuresBetween(load.records, from, to);
    const appStarts = countLines(startLog) - startsBefore;
    return {
      tool: toolName,
      files: BIG_CHANGE_FILES,
      liveTimeoutMs: BIG_CHANGE_LIVE_TIMEOUT_MS,
      liveMs: seen ? seen.done - pushed : null,
      appStarts,
      restartMessages: restartMessages(),
      // What the watcher says it did, or (gitpaas) the replacements the app's start log shows.
      restarts: restartMessages() ?? appStarts,
      servingNewVersion: (await get(tool.port)) === 'v1',
      appProcessesRunning: survivors(startLog).length,
      zombies: treeOf(tool.leader.child.pid).zombies,
      requests: requests.total,
      failed: requests.failed,
      longestGapMs: requests.longestGap,
    };
  };
  return withTool(toolName, { delayMs: 0, assets: BIG_CHANGE_FILES }, body);
}

const started = performance.now();
const results = { periodMs: PERIOD_MS, pushesPerSeries: PUSHES, series: [], bigChange: [] };
// A contender that fails to start is reported as such; the others still run.
async function attempt(toolName, measure) {
  try {
    return await measure();
  } catch (error) {
    console.error(`  ${toolName}: ${error.message}`);
    return { tool: toolName, error: error.message.split('\n')[0] };
  }
}
try {
  for (const delayMs of [0, 300]) {
    for (const toolName of Object.keys(TOOLS)) {
      process.stderr.write(`… ${toolName}, app listens after ${delayMs} ms\n`);
      const row = await attempt(toolName, () => pushSeries(toolName, delayMs));
      results.series.push({ startDelayMs: delayMs, ...row });
    }
  }
  for (const toolName of ['seed + nodemon', 'seed + node --watch', 'gitpaas up (poll)']) {
    process.stderr.write(`… ${toolName}, one push changing ${BIG_CHANGE_FILES} files\n`);
    results.bigChange.push(await attempt(toolName, () => bigChange(toolName)));
  }
} finally {
  clearTimeout(watchdog);
  cleanup();
}
results.durationS = Math.round((performance.now() - started) / 1000);
printReport(results);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, `${JSON.stringify(results, null, 2)}\n`);
if ([...results.series, ...results.bigChange].some((row) => row.error)) process.exitCode = 1;
