import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRunning, readProcess } from '@gitpaas/core';

const here = dirname(fileURLToPath(import.meta.url));
export const APP = join(here, 'fixtures', 'app.mjs');
export const BIN = resolve(here, '..', 'dist', 'cli.js');
/** The built library, for a process that embeds it. */
export const LIB = resolve(here, '..', 'dist', 'index.js');
export const HOST = join(here, 'fixtures', 'host.mjs');
export const NODE = process.execPath;

/** A 40-hex "commit hash" derived from a name, so tests read as `hash('v2')`. */
export function hash(name: string): string {
  return createHash('sha1').update(name).digest('hex');
}

/** The git-sync layout made by hand: `<root>/.worktrees/<sha>/` and a relative link swapped by rename. */
export class Layout {
  readonly link: string;
  constructor(
    readonly root: string,
    name = 'app',
  ) {
    this.link = join(root, name);
  }

  dir(sha: string): string {
    return join(this.root, '.worktrees', sha);
  }

  /** Writes a worktree with app.json (the fixture's behaviour) and any extra files. */
  async add(sha: string, app: object = {}, files: Record<string, string> = {}): Promise<string> {
    const dir = this.dir(sha);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'app.json'), JSON.stringify(app));
    for (const [name, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), text);
    }
    return dir;
  }

  /** Points the link at the worktree atomically (temp link + rename), like git-sync. */
  async flip(sha: string): Promise<void> {
    const temp = join(this.root, `.tmp-link-${sha.slice(0, 8)}-${process.hrtime.bigint()}`);
    await symlink(join('.worktrees', sha), temp);
    await rename(temp, this.link);
  }
}

export interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export function get(port: number, path = '/', agent: Agent | false = false, body?: string): Promise<Answer> {
  return new Promise((done, fail) => {
    const method = body === undefined ? 'GET' : 'POST';
    const req = request({ host: '127.0.0.1', port, path, method, agent, timeout: 20_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', fail);
    req.end(body);
  });
}

export function revisionOf(answer: Answer): string {
  return (JSON.parse(answer.body) as { revision: string }).revision;
}

export interface LoadResult {
  ok: number;
  failed: number;
  errors: string[];
  revisions: Set<string>;
}

/**
 * A bounded load client: `concurrency` loops send requests until `until()` is true, at most
 * `max` requests in all and never past `timeoutMs`. Every non-200 answer or error is a failure.
 */
export async function load(
  port: number,
  {
    until,
    keepAlive,
    concurrency = 4,
    max = 50_000,
    timeoutMs = 120_000,
    path = () => '/',
  }: {
    until: () => boolean;
    keepAlive: boolean;
    concurrency?: number;
    max?: number;
    timeoutMs?: number;
    /** The request to send as the n-th: a path, and a body to POST it (a POST is never retried by the proxy). */
    path?: (n: number) => { path: string; body?: string } | string;
  },
): Promise<LoadResult> {
  const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: concurrency }) : false;
  const result: LoadResult = { ok: 0, failed: 0, errors: [], revisions: new Set() };
  const deadline = Date.now() + timeoutMs;
  let sent = 0;
  const worker = async () => {
    while (!until() && sent < max && Date.now() < deadline) {
      const n = sent++;
      try {
        const next = path(n);
        const answer =
          typeof next === 'string'
            ? await get(port, next, agent)
            : await get(port, next.path, agent, next.body);
        if (answer.status === 200) {
          result.ok++;
          result.revisions.add(revisionOf(answer));
        } else {
          result.failed++;
          result.errors.push(`${answer.status} ${answer.body}`);
        }
      } catch (error) {
        result.failed++;
        result.errors.push(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (agent) agent.destroy();
  return result;
}

/**
 * Switches the link through revisions v1…v10 (each waited live) while two clients load the port:
 * one on keep-alive connections, one on a new connection per request. Every fifth request is a
 * POST taking 150 ms, so switches happen with requests in flight on the old app that only the
 * drain can save (the app dies on SIGTERM, and a POST is not retried).
 */
export async function tenSwitchesUnderLoad(
  port: number,
  layout: Layout,
  liveOn: (revision: string) => Promise<unknown>,
): Promise<{ keepAlive: LoadResult; fresh: LoadResult }> {
  let done = false;
  const slowEvery = (n: number) => (n % 5 === 0 ? { path: '/?ms=150', body: `order ${n}` } : '/');
  const clients = Promise.all([
    load(port, { until: () => done, keepAlive: true, concurrency: 4, path: slowEvery }),
    load(port, { until: () => done, keepAlive: false, concurrency: 2, path: slowEvery }),
  ]);
  try {
    for (let i = 1; i <= 10; i++) {
      await layout.add(hash(`v${i}`));
      await layout.flip(hash(`v${i}`));
      await liveOn(hash(`v${i}`));
    }
  } finally {
    done = true;
  }
  const [keepAlive, fresh] = await clients;
  return { keepAlive, fresh };
}

/** A process is gone when /proc no longer shows it or it is a zombie nobody has reaped yet. */
export function isAlive(pid: number): boolean {
  const info = readProcess(pid);
  return info !== null && isRunning(info);
}

export function pidsIn(file: string): number[] {
  try {
    return readFileSync(file, 'utf8')
      .split(/\s+/)
      .filter((word) => /^\d+$/.test(word))
      .map(Number);
  } catch {
    return [];
  }
}

/** The built bin as a real process, with its output collected. */
export class BinProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; prefix?: string[] } = {}) {
    const [file, ...before] = options.prefix ?? [NODE];
    this.child = spawn(file!, [...before, ...(options.prefix ? [NODE] : []), BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((done) => this.child.on('exit', (code, signal) => done({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Test clean-up: SIGTERM (so it stops its children), SIGKILL if that takes too long. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(timer);
  }
}
