#!/usr/bin/env node
// pnpm bench:real-apps (benchmarks/): push-to-live of real apps, in one run on 127.0.0.1.
//   Express (examples/express, from the npm registry): a code-only push and a dependency change,
//   with the dependency cache and without (--build-cache 0), against the same code-only push
//   with no build at all (the dependencies installed once beforehand, on NODE_PATH).
//   ASP.NET Core (examples/aspnet): a code-only push through `gitpaas up` (dotnet publish), with
//   and without the cache, against the original recipe: `git pull; sleep 1` + `dotnet watch run`.
// Each push is announced with POST /sync (gitpaas) or found by the pull loop (the recipe); a
// steady client (~100 req/s) counts the failed requests. p50/p95 over BENCH_PUSHES pushes
// (default 5); ratios against the first row of each table. BENCH_JSON writes the results there.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { failuresBetween, startLoad } from './lib/load.mjs';
import { killAllGroups, startGroup, stopGroup } from './lib/processes.mjs';
import { git } from './lib/repo.mjs';
import { ratio } from './lib/report.mjs';
import { freePort, GITPAAS } from './lib/tools.mjs';

const PUSHES = Number(process.env.BENCH_PUSHES ?? 5);
const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url));
const LIVE_TIMEOUT_MS = 180_000;
const WATCHDOG_MS = 40 * 60_000;
const DOTNET_ENV = {
  DOTNET_CLI_TELEMETRY_OPTOUT: '1',
  DOTNET_NOLOGO: '1',
  DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1',
};
/** picocolors versions the dependency-change pushes step through: each is a new manifest. */
const VERSIONS = ['1.1.1', '1.1.0', '1.0.1', '1.0.0', '0.2.1', '0.2.0', '0.1.0', '0.0.1', '0.0.0'];

const temps = new Set();
const cleanup = () => {
  killAllGroups();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}
const watchdog = setTimeout(() => {
  console.error('real-apps: still running after 40 min, stopping everything');
  cleanup();
  process.exit(1);
}, WATCHDOG_MS);

const percentile = (values, p) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/** A bare repository seeded with examples/<name>, and a clone that commits and pushes. */
function appRepo(dir, name) {
  const bare = join(dir, 'app.git');
  const dev = join(dir, 'dev');
  git(['init', '-q', '--bare', '--initial-branch=main', bare]);
  git(['init', '-q', '--initial-branch=main', dev]);
  cpSync(join(EXAMPLES, name), dev, { recursive: true });
  git(['add', '-A'], dev);
  git(['commit', '-qm', name], dev);
  git(['remote', 'add', 'origin', bare], dev);
  git(['push', '-q', 'origin', 'main'], dev);
  return {
    url: `file://${bare}`,
    dev,
    push(files, message) {
      for (const [file, text] of Object.entries(files)) writeFileSync(join(dev, file), text);
      git(['commit', '-qam', message], dev);
      git(['push', '-q', 'origin', 'main'], dev);
    },
  };
}

/** `gitpaas up` on the repository, announced pushes; `flags` and the command as given. */
async function gitpaasUp(dir, repo, flags, env = {}) {
  const port = await freePort();
  const bind = `127.0.0.1:${await freePort()}`;
  const group = startGroup(
    process.execPath,
    [
      GITPAAS,
      'up',
      `--repo=${repo.url}`,
      '--ref=main',
      `--root=${join(dir, 'srv')}`,
      `--port=${port}`,
      '--host=127.0.0.1',
      `--http-bind=${bind}`,
      '--period=10s',
      '--ready-timeout=120s',
      '--drain-timeout=1s',
      '--log-format=json',
      ...flags,
    ],
    { cwd: dir, env },
  );
  return {
    port,
    group,
    announce: () => fetch(`http://${bind}/sync`, { method: 'POST' }).then((r) => r.body?.cancel()),
    stop: () => stopGroup(group, { graceMs: 20_000, wholeGroup: false }),
  };
}

/** The original recipe: a clone pulled every second, `dotnet watch run` in it. */
async function dotnetWatch(dir, repo) {
  const served = join(dir, 'served');
  git(['clone', '-q', repo.url, served]);
  const port = await freePort();
  const loop = startGroup('bash', ['-c', 'while true; do git pull -q; sleep 1; done'], { cwd: served });
  const app = startGroup('dotnet', ['watch', 'run', '--urls', `http://127.0.0.1:${port}`], {
    cwd: served,
    env: { ...DOTNET_ENV, DOTNET_USE_POLLING_FILE_WATCHER: '1', DOTNET_WATCH_RESTART_ON_RUDE_EDIT: '1' },
  });
  return {
    port,
    group: app,
    announce: async () => {},
    async stop() {
      await stopGroup(loop, { graceMs: 2000 });
      await stopGroup(app, { graceMs: 10_000 });
    },
  };
}

const seen = (load, marker, since) =>
  load.records.find((r) => r.sent >= since && r.done && r.ok && r.body.includes(marker));

async function until(check, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const value = await check();
    if (value) return value;
    await sleep(20);
  }
  return undefined;
}

/**
 * One series: a fresh repository and tool, the first revision served, then `pushes` pushes made
 * by `change(i)` (files + message + the marker the new revision answers), each timed to the
 * first response showing its marker.
 */
async function series(name, { app, start, change, firstMarker }) {
  const dir = mkdtempSync(join(tmpdir(), 'gitpaas-real-'));
  temps.add(dir);
  const repo = appRepo(dir, app);
  const tool = await start(dir, repo);
  try {
    const load0 = startLoad(tool.port);
    const first = await until(() => seen(load0, firstMarker, 0), LIVE_TIMEOUT_MS);
    load0.stop();
    if (!first)
      throw new Error(
        `${name}: the first revision was not served\n${tool.group.lines.slice(-20).join('\n')}`,
      );
    const load = startLoad(tool.port);
    const from = performance.now();
    const latencies = [];
    for (let i = 1; i <= PUSHES; i++) {
      await sleep(500);
      const { files, message, marker } = change(i, repo);
      repo.push(files, message);
      const pushed = performance.now();
      await tool.announce();
      const hit = await until(() => seen(load, marker, pushed), LIVE_TIMEOUT_MS);
      if (!hit)
        throw new Error(
          `${name}: push ${i} not live in ${LIVE_TIMEOUT_MS / 1000} s\n${tool.group.lines.slice(-20).join('\n')}`,
        );
      latencies.push(hit.done - pushed);
      process.stderr.write(`  ${name}: push ${i} live in ${Math.round(hit.done - pushed)} ms\n`);
    }
    const to = performance.now();
    load.stop();
    await until(() => load.records.every((r) => r.done), 3000);
    const requests = failuresBetween(load.records, from, to);
    return {
      name,
      pushes: PUSHES,
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      latenciesMs: latencies.map(Math.round),
      requests: requests.total,
      failed: requests.failed,
      failedPerPush: requests.failed / PUSHES,
    };
  } finally {
    await tool.stop();
    rmSync(dir, { recursive: true, force: true });
    temps.delete(dir);
  }
}

// ---------------------------------------------------------------- Express

const expressServer = readFileSync(join(EXAMPLES, 'express', 'server.js'), 'utf8');
const expressPkg = JSON.parse(readFileSync(join(EXAMPLES, 'express', 'package.json'), 'utf8'));
const greeting = (text) => expressServer.replace("'Hello from Express'", `'${text}'`);
const codeOnly = (i) => ({
  files: { 'server.js': greeting(`Hello v${i}`) },
  message: `v${i}`,
  marker: `"Hello v${i}"`,
});
const depChange = (i) => ({
  files: {
    'package.json': `${JSON.stringify({ ...expressPkg, dependencies: { ...expressPkg.dependencies, picocolors: VERSIONS[i % VERSIONS.length] } }, null, 2)}\n`,
    'server.js': greeting(`Hello v${i}`),
  },
  message: `picocolors ${VERSIONS[i % VERSIONS.length]}`,
  marker: `"Hello v${i}"`,
});
const detected = (flags) => (dir, repo) => gitpaasUp(dir, repo, flags);
const expressFirst = '"Hello from Express"';

/** The no-build baseline: express installed once outside the repository, found through NODE_PATH. */
function noBuild(shared) {
  return (dir, repo) =>
    gitpaasUp(dir, repo, ['--build=true', '--', 'node', 'server.js'], {
      NODE_PATH: join(shared, 'node_modules'),
    });
}

// ---------------------------------------------------------------- ASP.NET Core

const program = readFileSync(join(EXAMPLES, 'aspnet', 'Program.cs'), 'utf8');
const dotnetCode = (i) => ({
  files: { 'Program.cs': program.replace('"Hello from ASP.NET Core"', `"Hello v${i}"`) },
  message: `v${i}`,
  marker: `"Hello v${i}"`,
});
const hasDotnet = (() => {
  try {
    execFileSync('dotnet', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// ---------------------------------------------------------------- run

const started = performance.now();
const results = { pushesPerSeries: PUSHES, express: [], dotnet: [] };
async function attempt(list, name, spec) {
  process.stderr.write(`… ${name}\n`);
  try {
    list.push(await series(name, spec));
  } catch (error) {
    console.error(`  ${error.message}`);
    list.push({ name, error: error.message.split('\n')[0] });
  }
}
try {
  const shared = mkdtempSync(join(tmpdir(), 'gitpaas-real-deps-'));
  temps.add(shared);
  writeFileSync(join(shared, 'package.json'), JSON.stringify({ dependencies: expressPkg.dependencies }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--omit=dev'], { cwd: shared, stdio: 'ignore' });
  const E = results.express;
  await attempt(E, 'code-only push, no build (dependencies preinstalled)', {
    app: 'express',
    start: noBuild(shared),
    change: codeOnly,
    firstMarker: expressFirst,
  });
  await attempt(E, 'code-only push, detected install, cache', {
    app: 'express',
    start: detected([]),
    change: codeOnly,
    firstMarker: expressFirst,
  });
  await attempt(E, 'code-only push, detected install, no cache', {
    app: 'express',
    start: detected(['--build-cache=0']),
    change: codeOnly,
    firstMarker: expressFirst,
  });
  await attempt(E, 'dependency change, detected install, cache', {
    app: 'express',
    start: detected([]),
    change: depChange,
    firstMarker: expressFirst,
  });
  await attempt(E, 'dependency change, detected install, no cache', {
    app: 'express',
    start: detected(['--build-cache=0']),
    change: depChange,
    firstMarker: expressFirst,
  });
  if (hasDotnet) {
    const D = results.dotnet;
    const dotnetFirst = '"Hello from ASP.NET Core"';
    await attempt(D, 'seed git pull 1s + dotnet watch run', {
      app: 'aspnet',
      start: dotnetWatch,
      change: dotnetCode,
      firstMarker: dotnetFirst,
    });
    await attempt(D, 'gitpaas up (POST /sync), detected, cache', {
      app: 'aspnet',
      start: detected([]),
      change: dotnetCode,
      firstMarker: dotnetFirst,
    });
    await attempt(D, 'gitpaas up (POST /sync), detected, no cache', {
      app: 'aspnet',
      start: detected(['--build-cache=0']),
      change: dotnetCode,
      firstMarker: dotnetFirst,
    });
  } else {
    console.error('real-apps: dotnet is not installed; the ASP.NET Core table is skipped');
  }
} finally {
  clearTimeout(watchdog);
  cleanup();
}
results.durationS = Math.round((performance.now() - started) / 1000);

const fmt = (v) => (v === null || v === undefined ? '—' : `${Math.round(v)} ms`);
const fmtRatio = (v) => (v === null ? '—' : v === Number.POSITIVE_INFINITY ? '∞' : `×${v.toFixed(2)}`);
function print(title, rows) {
  const base = rows.find((row) => !row.error);
  const header = ['scenario', 'p50', 'p95', 'p50 ratio', 'p95 ratio', 'failed/requests', 'failed per push'];
  const body = rows.map((r) =>
    r.error
      ? [r.name, 'error', r.error, '', '', '', '']
      : [
          r.name,
          fmt(r.p50Ms),
          fmt(r.p95Ms),
          fmtRatio(ratio(r.p50Ms, base?.p50Ms)),
          fmtRatio(ratio(r.p95Ms, base?.p95Ms)),
          `${r.failed}/${r.requests}`,
          r.failedPerPush.toFixed(1),
        ],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => String(row[i]).length)));
  const line = (cells) =>
    cells
      .map((c, i) => String(c).padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(`\n${title}`);
  console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n'));
}
print(
  `Express push-to-live, ${PUSHES} pushes per row, POST /sync, ~100 req/s steady client (ratios: vs the first row)`,
  results.express,
);
if (results.dotnet.length)
  print(
    `ASP.NET Core push-to-live, ${PUSHES} pushes per row, ~100 req/s steady client (ratios: vs the first row, the original recipe)`,
    results.dotnet,
  );
console.log(`\n(${results.durationS} s in all)`);
console.log(JSON.stringify(results));
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, `${JSON.stringify(results, null, 2)}\n`);
if ([...results.express, ...results.dotnet].some((row) => row.error)) process.exitCode = 1;
