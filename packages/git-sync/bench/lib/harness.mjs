// Shared by the benchmarks: git with a clean config, a test repository, git-sync bins on 127.0.0.1 (the
// dist/cli.js, each in its own process group), signed deliveries, /status and /metrics reads.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = new URL('../../dist/cli.js', import.meta.url).pathname;
export const SECRET = 'bench-trigger-secret';

const gitEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
};
export const git = (cwd, ...args) =>
  execFileSync('git', args, { cwd, env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim();

/** A bare repository with one commit and a clone to push from; `push(n)` commits and returns the hash. */
export function makeRepo(base) {
  const bare = join(base, 'repo.git');
  const work = join(base, 'work');
  git(base, 'init', '-q', '--bare', '-b', 'main', bare);
  git(base, 'init', '-q', '-b', 'main', work);
  writeFileSync(join(work, 'app.js'), 'v0\n');
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'initial');
  git(work, 'push', '-q', bare, 'main');
  return {
    url: `file://${bare}`,
    push(n) {
      writeFileSync(join(work, 'app.js'), `v${n}\n`);
      git(work, 'commit', '-q', '-am', `v${n}`);
      git(work, 'push', '-q', bare, 'main');
      return git(work, 'rev-parse', 'HEAD');
    },
  };
}

/**
 * A temp dir for one benchmark run, and `done()`, which stops every bin and removes it: on the
 * way out, on Ctrl-C, and after `limitMs` at the latest (a watchdog).
 */
export function benchRun(name, limitMs) {
  const base = mkdtempSync(join(tmpdir(), `gitsync-${name}-`));
  const done = async () => {
    clearTimeout(watchdog);
    await stopAll();
    rmSync(base, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.on(signal, () => void done().then(() => process.exit(130)));
  const watchdog = setTimeout(() => {
    console.error(`${name} bench: still running after ${Math.round(limitMs / 1000)} s, stopping`);
    void done().then(() => process.exit(1));
  }, limitMs);
  return { base, done };
}

export function writeSecret(base) {
  const file = join(base, 'trigger-secret');
  writeFileSync(file, `${SECRET}\n`);
  return file;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const started = new Set();

/** The bin with `args` (plus --root, --http-bind on `port`, --link app); stderr kept for errors. */
export function startGitSync({ repo, base, name, port, args = [], env = {} }) {
  const root = join(base, name);
  mkdirSync(base, { recursive: true });
  const argv = [BIN, '--repo', repo.url, '--root', root, '--ref', 'main', '--link', 'app'];
  argv.push('--period', '1h', '--max-failures=-1', '--http-metrics', '--http-bind', `127.0.0.1:${port}`);
  // As deploy/k8s runs the sidecar: the replaced worktree (and the gc after removing it) waits 2m.
  argv.push('--stale-worktree-timeout', '2m');
  const child = spawn(process.execPath, [...argv, ...args], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...gitEnv, ...env },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const replica = {
    name,
    port,
    root,
    child,
    stderr: () => stderr,
    /** The hash the link points at, or null. */
    published() {
      try {
        return readlinkSync(join(root, 'app')).replace('.worktrees/', '');
      } catch {
        return null;
      }
    },
    signal(signal) {
      process.kill(-child.pid, signal);
    },
  };
  started.add(replica);
  return replica;
}

/** SIGCONT then SIGTERM to every bin's group, SIGKILL after 5 s. */
export async function stopAll() {
  await Promise.all(
    [...started].map(async (replica) => {
      started.delete(replica);
      const { child } = replica;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        process.kill(-child.pid, 'SIGCONT');
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }, 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

/** A signed GitHub push notification for refs/heads/main, as a forge sends it. */
export function signedPush() {
  const body = JSON.stringify({ ref: 'refs/heads/main', repository: { default_branch: 'main' } });
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-hub-signature-256': signature,
    },
  };
}

export async function deliver(replica) {
  const { body, headers } = signedPush();
  const response = await fetch(`http://127.0.0.1:${replica.port}/sync`, { method: 'POST', body, headers });
  await response.arrayBuffer();
  return response.status;
}

/** Sum of a counter's series in the bin's /metrics (matching `label` when given). */
export async function counter(replica, name, label = '') {
  const text = await (await fetch(`http://127.0.0.1:${replica.port}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(name) && line.includes(label))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

/** Polls `check` every `ms` until true or `timeoutMs` passed; resolves whether it held. */
export async function until(check, timeoutMs, ms = 5) {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
  return false;
}

/** Nearest-rank percentile of `xs` (p in 0–100). */
export function percentile(xs, p) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
