// What the reloader benchmark's sections share: processes, probes, load runs, /proc readings.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@gitpaas/test-utils';
import autocannon from 'autocannon';

export { freePort };

const CLK_TCK = 100;
const started = new Set();

/**
 * Starts a server process in a session of its own, as the reloader starts its app: every process
 * under test then gets the same share of a busy machine (Linux schedules sessions as groups).
 */
export function start(command, args, env = {}) {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** SIGTERM to the process group, SIGKILL after 15 s. */
export async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {}
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export async function stopAll() {
  await Promise.all([...started].map(stop));
}

/** GET a path with a fresh connection: the body when the answer is 200, else null. */
export function get(port, path = '/') {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 2000 }, (res) => {
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
export async function until(fn, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value) return value;
    await sleep(2);
  }
  throw new Error('benchmark step timed out');
}

/** CPU time (user + system) a process has used, in ms. */
export async function cpuMs(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

export async function rssMb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Idle CPU (% of a core) over `seconds`, then RSS. */
export async function idle(pid, seconds) {
  const before = await cpuMs(pid);
  await sleep(seconds * 1000);
  return { cpuPercent: ((await cpuMs(pid)) - before) / (seconds * 10), rssMb: await rssMb(pid) };
}

/**
 * One load run: `connections` keep-alive connections for `seconds` (at most `rate` requests a
 * second in all); with `cpuOf`, also the CPU time that process spent per answered request (µs).
 */
export async function load(port, path, { connections, seconds, cpuOf, rate }) {
  const before = cpuOf ? await cpuMs(cpuOf) : 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections,
    duration: seconds,
    ...(rate ? { overallRate: rate } : {}),
  });
  const cpu = cpuOf ? (await cpuMs(cpuOf)) - before : null;
  return {
    rps: result.requests.average,
    total: result.requests.total,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    cpuUsPerRequest: cpu === null ? null : (cpu * 1000) / Math.max(1, result.requests.total),
  };
}

export const median = (values) => {
  const sorted = values.filter((v) => v !== null && !Number.isNaN(v)).sort((a, b) => a - b);
  if (!sorted.length) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export const fmt = (n, digits = 2) =>
  n === null || n === undefined ? '' : Number.isInteger(n) ? String(n) : n.toFixed(digits);

export function table(title, header, rows) {
  console.log(`\n${title}`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => ' --- |').join('')}`);
  for (const row of rows)
    console.log(`| ${row.map((cell) => (typeof cell === 'string' ? cell : fmt(cell))).join(' | ')} |`);
}
