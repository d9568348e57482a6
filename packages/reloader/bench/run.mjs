// pnpm bench: the cost of the reloader, as ratios against baselines measured in the same run.
//   1. Proxy: req/s, p99 and the proxy's CPU per request for hello-world, 100 KB answers and a
//      1 ms CPU handler — direct, a 10-line node:http proxy, a bare TCP pipe, the reloader, and the
//      reloader with --socket-handoff — interleaved, round after round.
//   2. Switches: link flip → first answer of the new revision (vs the app's own cold start), and
//      failed requests under load across the flips and one broken revision, in both modes.
//   3. Footprint: idle CPU and RSS of the reloader vs an idle node:http server (the app itself).
// Everything runs on 127.0.0.1, every loop is bounded. Prints tables, then one JSON line.
// BENCH_DURATION (s per load run, default 5), BENCH_ROUNDS (default 3), BENCH_SECTIONS (proxy,switch,idle);
// BENCH_BEFORE=<an older build's dist/cli.js> adds it as "reloader (before)" for before/after ratios.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, get, idle, load, median, start, stop, stopAll, table, until } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const APP = join(here, 'app.mjs');
const BIN = join(here, '..', 'dist', 'cli.js');
const SECONDS = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECTIONS = (process.env.BENCH_SECTIONS ?? 'proxy,switch,idle').split(',');
const CONNECTIONS = 50;
const FLIPS = 5;
const IDLE_S = 10;
// The paced run measures the latency a target adds where the app is not saturated (a quarter of
// its capacity): at saturation p99 is the app's queue, whatever is in front of it.
const WORKLOADS = [
  { name: 'hello-world', path: '/', connections: CONNECTIONS },
  { name: '100 KB answers', path: '/100k', connections: CONNECTIONS },
  { name: '1 ms CPU handler', path: '/cpu', connections: CONNECTIONS },
  { name: '1 ms CPU handler, paced at 250 req/s', path: '/cpu', connections: 10, rate: 250 },
].filter((w) => !process.env.BENCH_WORKLOADS || process.env.BENCH_WORKLOADS.split(',').includes(w.path));
const ONLY = process.env.BENCH_TARGETS?.split(',');

const BEFORE = process.env.BENCH_BEFORE;
const node = process.execPath;
const reloaderArgs = (port, extra = [], bin = BIN) => [
  bin,
  '--port',
  String(port),
  '--host',
  '127.0.0.1',
  ...extra,
];
/** The socket handoff mode is left out when the build under test does not have it yet. */
const SOCKET = execFileSync(node, [BIN, '--help'], { encoding: 'utf8' }).includes('--socket-handoff');
const results = {};

async function listening(port) {
  await until(() => get(port, '/healthz'));
}

/** Section 1: every target under every workload, in a rotating order, ROUNDS times. */
async function proxySection() {
  const appPort = await freePort();
  const app = start(node, [APP], { PORT: String(appPort) });
  const targets = [{ name: 'direct', port: appPort, pid: app.pid }];
  const add = async (name, command, args, env = {}) => {
    if (ONLY && !ONLY.includes(name)) return;
    const port = await freePort();
    const child = start(command, args(port), { ...env, PORT: String(port) });
    targets.push({ name, port, pid: child.pid });
  };
  await add('node:http proxy', node, () => [join(here, 'plain-proxy.mjs')], { TARGET: String(appPort) });
  await add('TCP pipe', node, () => [join(here, 'tcp-pipe.mjs')], { TARGET: String(appPort) });
  if (BEFORE)
    await add('reloader (before)', node, (port) => [...reloaderArgs(port, [], BEFORE), '--', node, APP]);
  await add('reloader', node, (port) => [...reloaderArgs(port), '--', node, APP]);
  if (SOCKET)
    await add('reloader --socket-handoff', node, (port) => [
      ...reloaderArgs(port, ['--socket-handoff']),
      '--',
      node,
      APP,
    ]);
  for (const target of targets) await listening(target.port);

  const runs = Object.fromEntries(
    WORKLOADS.map((workload) => [workload.name, Object.fromEntries(targets.map((t) => [t.name, []]))]),
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const workload of WORKLOADS) {
      // Rotate the order so no target always runs first (or right after the heaviest one).
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const target of order) {
        const url = target.port;
        await load(url, workload.path, { connections: 10, seconds: 1 }); // warm-up
        const run = await load(url, workload.path, {
          connections: workload.connections,
          rate: workload.rate,
          seconds: SECONDS,
          cpuOf: target.name === 'direct' ? undefined : target.pid,
        });
        runs[workload.name][target.name].push(run);
      }
    }
  }
  await stopAll();

  results.proxy = {};
  for (const workload of WORKLOADS) {
    const byTarget = runs[workload.name];
    const ratio = (name, base) =>
      byTarget[base] ? median(byTarget[name].map((run, round) => run.rps / byTarget[base][round].rps)) : null;
    const rows = targets.map(({ name }) => {
      const own = byTarget[name];
      const p99 = median(own.map((run) => run.p99));
      return [
        name,
        median(own.map((run) => run.rps)),
        ratio(name, 'direct'),
        ratio(name, 'node:http proxy'),
        p99,
        p99 - median(byTarget.direct.map((run) => run.p99)),
        median(own.map((run) => run.cpuUsPerRequest)),
        own.reduce((sum, run) => sum + run.errors, 0),
      ];
    });
    results.proxy[workload.name] = Object.fromEntries(
      rows.map(([name, rps, xDirect, xPlain, p99, p99Delta, cpuUs, errors]) => [
        name,
        { rps, xDirect, xPlain, p99, p99Delta, cpuUs, errors },
      ]),
    );
    table(
      `${workload.name} (GET ${workload.path}, ${workload.connections} connections, ${SECONDS} s × ${ROUNDS} rounds; medians, ratios per round)`,
      [
        'target',
        'req/s',
        '× direct',
        '× node:http proxy',
        'p99 ms',
        'p99 − direct',
        'proxy CPU µs/req',
        'errors',
      ],
      rows,
    );
  }
}

/** The git-sync layout by hand: `.worktrees/<sha>` and a relative link swapped by rename. */
function layout(root) {
  const link = join(root, 'app');
  let n = 0;
  return {
    link,
    async flip(name, { broken = false } = {}) {
      const sha = `${name}`.padEnd(40, '0');
      const dir = join(root, '.worktrees', sha);
      await mkdir(dir, { recursive: true });
      if (broken) await writeFile(join(dir, 'broken'), '');
      const temp = join(root, `.tmp-${n++}`);
      await symlink(join('.worktrees', sha), temp);
      await rename(temp, link);
      return sha;
    },
  };
}

/** Section 2: flips under load in both modes; cold start of the app as the baseline. */
async function switchSection(root) {
  const coldPort = await freePort();
  const coldStarts = [];
  for (let i = 0; i < FLIPS; i++) {
    const t0 = performance.now();
    const app = start(node, [APP], { PORT: String(coldPort) });
    await listening(coldPort);
    coldStarts.push(performance.now() - t0);
    await stop(app);
  }
  results.switch = { coldStartMs: median(coldStarts) };
  const rows = [['app cold start (spawn → first 200)', median(coldStarts), '', '', '']];
  const modes = [['reloader', []]];
  if (SOCKET) modes.push(['reloader --socket-handoff', ['--socket-handoff']]);
  for (const [name, extra] of modes) {
    const dir = join(root, name.replace(/\W+/g, '-'));
    const { link, flip } = layout(dir);
    await flip('a0');
    const port = await freePort();
    const reloader = start(node, [
      ...reloaderArgs(port, extra),
      '--watch',
      link,
      '--ready-path',
      '/healthz',
      '--drain-timeout',
      '2s',
      '--',
      node,
      APP,
    ]);
    await listening(port);
    let loading = true;
    const loads = (async () => {
      const runs = [];
      while (loading) runs.push(await load(port, '/', { connections: 10, seconds: 1 }));
      return runs;
    })();
    const flips = [];
    for (let i = 1; i <= FLIPS; i++) {
      const t0 = performance.now();
      const sha = await flip(`a${i}`);
      await until(async () => (await get(port)) === sha);
      flips.push(performance.now() - t0);
      await sleep(2500); // the old one drains and stops before the next flip
    }
    const live = await get(port);
    await flip('bad', { broken: true });
    await sleep(3000); // started, exited before ready, kept out
    const kept = (await get(port)) === live;
    loading = false;
    const runs = await loads;
    const requests = runs.reduce((sum, run) => sum + run.total, 0);
    const errors = runs.reduce((sum, run) => sum + run.errors, 0);
    await stop(reloader);
    results.switch[name] = { flipMs: median(flips), requests, errors, brokenKeptOut: kept };
    rows.push([
      `${name}: flip → new answer`,
      median(flips),
      median(flips) / median(coldStarts),
      `${errors} of ${requests}`,
      kept ? 'yes' : 'NO',
    ]);
  }
  table(
    `Switches (${FLIPS} flips, then a revision that exits at start; 10 keep-alive connections of load throughout)`,
    ['what', 'ms (median)', '× cold start', 'failed requests', 'broken revision kept out'],
    rows,
  );
}

/** Section 3: idle CPU and RSS of the reloader after a few flips, vs the idle app on its own. */
async function idleSection(root) {
  const appPort = await freePort();
  const app = start(node, [APP], { PORT: String(appPort) });
  const { link, flip } = layout(join(root, 'idle'));
  await flip('i0');
  const bins = [['reloader', BIN]];
  if (BEFORE) bins.unshift(['reloader (before)', BEFORE]);
  const reloaders = [];
  for (const [name, bin] of bins) {
    const port = await freePort();
    reloaders.push({
      name,
      port,
      child: start(node, [...reloaderArgs(port, [], bin), '--watch', link, '--', node, APP]),
    });
  }
  await listening(appPort);
  for (const { port } of reloaders) await listening(port);
  for (let i = 1; i <= 3; i++) {
    const sha = await flip(`i${i}`);
    for (const { port } of reloaders) await until(async () => (await get(port)) === sha);
  }
  await sleep(3000);
  const [appIdle, ...idles] = await Promise.all([
    idle(app.pid, IDLE_S),
    ...reloaders.map(({ child }) => idle(child.pid, IDLE_S)),
  ]);
  await stopAll();
  results.idle = { app: appIdle };
  const rows = [['idle node:http server', appIdle.rssMb, 1, appIdle.cpuPercent]];
  reloaders.forEach(({ name }, i) => {
    results.idle[name] = idles[i];
    rows.push([name, idles[i].rssMb, idles[i].rssMb / appIdle.rssMb, idles[i].cpuPercent]);
  });
  table(
    `Footprint (idle ${IDLE_S} s, after 3 flips; the app is an idle node:http server)`,
    ['process', 'RSS MB', '× idle node:http server', 'CPU % of a core'],
    rows,
  );
}

const root = await mkdtemp(join(tmpdir(), 'reloader-bench-'));
const onSignal = () => void stopAll().finally(() => process.exit(130));
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
console.log(
  `reloader benchmark: Node ${process.version}, ${SECONDS} s per load run, ${ROUNDS} rounds, load ${(await import('node:os')).loadavg()[0].toFixed(1)}`,
);
try {
  if (SECTIONS.includes('proxy')) await proxySection();
  if (SECTIONS.includes('switch')) await switchSection(root);
  if (SECTIONS.includes('idle')) await idleSection(root);
  console.log(JSON.stringify(results));
} finally {
  await stopAll();
  await rm(root, { recursive: true, force: true });
}
