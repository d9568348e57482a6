// pnpm bench: the cost of the reloader, as ratios against baselines measured in the same run.
//   1. req/s and p99 of a hello-world app, direct vs through the handoff proxy (autocannon)
//   2. link flip → first response from the new revision, vs the app's own cold start
//   3. idle CPU and RSS of the reloader, vs the idle app itself
// Everything runs on 127.0.0.1, every loop is bounded. Prints a table, then one JSON line.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, symlink } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));
const HELLO = join(here, 'hello.mjs');
const BIN = join(here, '..', 'dist', 'cli.js');
const DURATION_S = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = 50;
const FLIPS = 5;
const IDLE_S = 5;
const CLK_TCK = 100;

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const hash = (name) => createHash('sha1').update(name).digest('hex');

function get(port) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve(res.statusCode === 200 ? body : null));
    });
    req.on('error', () => resolve(null));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Polls until `fn` gives a value, every 2 ms, at most `timeoutMs`. */
async function until(fn, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value) return value;
    await sleep(2);
  }
  throw new Error('benchmark step timed out');
}

function start(command, args, env = {}) {
  return spawn(command, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function cannon(port) {
  await autocannon({ url: `http://127.0.0.1:${port}/`, connections: 10, duration: 1 }); // warm-up
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/`,
    connections: CONNECTIONS,
    duration: DURATION_S,
  });
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function cpuAndRss(pid) {
  const ticks = async () => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  const before = await ticks();
  await sleep(IDLE_S * 1000);
  const cpu = ((await ticks()) - before) / CLK_TCK / IDLE_S;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuPercent: cpu * 100, rssMb: rssKb / 1024 };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const root = await mkdtemp(join(tmpdir(), 'reloader-bench-'));
const children = [];
try {
  // Baseline: the app on its own.
  const directPort = await freePort();
  const coldStarts = [];
  for (let i = 0; i < FLIPS; i++) {
    const t0 = performance.now();
    const app = start(process.execPath, [HELLO], { PORT: String(directPort) });
    children.push(app);
    await until(() => get(directPort));
    coldStarts.push(performance.now() - t0);
    if (i < FLIPS - 1) await stop(app);
  }
  const directApp = children.at(-1);
  const direct = await cannon(directPort);
  const appIdle = await cpuAndRss(directApp.pid);
  await stop(directApp);

  // The reloader in front of the same app, in revision mode.
  const link = join(root, 'app');
  const flip = async (sha) => {
    await mkdir(join(root, '.worktrees', sha), { recursive: true });
    const temp = join(root, `.tmp-${sha}`);
    await symlink(join('.worktrees', sha), temp);
    await rename(temp, link);
  };
  await flip(hash('r0'));
  const port = await freePort();
  const reloader = start(process.execPath, [
    BIN,
    '--watch',
    link,
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--drain-timeout',
    '1s',
    '--',
    process.execPath,
    HELLO,
  ]);
  children.push(reloader);
  await until(() => get(port));
  const proxied = await cannon(port);

  const flips = [];
  for (let i = 1; i <= FLIPS; i++) {
    const sha = hash(`r${i}`);
    const t0 = performance.now();
    await flip(sha);
    await until(async () => (await get(port)) === sha);
    flips.push(performance.now() - t0);
    await sleep(1500); // let the old one drain and stop before the next flip
  }
  await sleep(1000);
  const reloaderIdle = await cpuAndRss(reloader.pid);

  const rows = [
    ['req/s (50 conns)', direct.rps, proxied.rps, proxied.rps / direct.rps],
    ['p99 latency ms', direct.p99, proxied.p99, proxied.p99 / direct.p99],
    ['errors + non-2xx', direct.errors, proxied.errors, null],
    ['flip → new answer ms (median)', median(coldStarts), median(flips), median(flips) / median(coldStarts)],
    ['idle CPU % of a core', appIdle.cpuPercent, reloaderIdle.cpuPercent, null],
    ['idle RSS MB', appIdle.rssMb, reloaderIdle.rssMb, reloaderIdle.rssMb / appIdle.rssMb],
  ];
  const fmt = (n) => (n === null ? '' : Number.isInteger(n) ? String(n) : n.toFixed(2));
  console.log(`reloader benchmark (${DURATION_S}s per load run, ${FLIPS} flips, Node ${process.version})`);
  console.log('| metric | baseline (direct app) | reloader | ratio |');
  console.log('| --- | --- | --- | --- |');
  for (const [name, base, value, ratio] of rows)
    console.log(`| ${name} | ${fmt(base)} | ${fmt(value)} | ${fmt(ratio)} |`);
  console.log('baseline for flip → new answer: the app cold start (spawn → first 200) measured directly');
  console.log(
    JSON.stringify({
      direct,
      proxied,
      ratios: { rps: proxied.rps / direct.rps, p99: proxied.p99 / direct.p99 },
      coldStartMs: coldStarts,
      flipToNewAnswerMs: flips,
      idle: { app: appIdle, reloader: reloaderIdle },
    }),
  );
} finally {
  for (const child of children) await stop(child);
  await rm(root, { recursive: true, force: true });
}
