import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, makeTempDir, removeTempDirs, waitFor } from '@gitpaas/test-utils';
import { execa, type ResultPromise } from 'execa';
import { type afterAll, afterEach } from 'vitest';
import { createDemoRepo, type DemoRepo, exampleAppDir } from '../src/demo-repo.js';

/** The built bin, spawned the way a user runs it. */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/**
 * A clean environment: no colours forced, no GITSYNC_/GITPAAS_ settings of the machine leaking
 * in, and no NODE_PATH (pnpm's shims set it to the test runner's modules, which an app under
 * test would then load as if installed).
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(GITSYNC_|GIT_SYNC_|GITPAAS_|FORCE_COLOR|NO_COLOR|DEBUG|NODE_PATH$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

function spawnCli(args: readonly string[], options: CliOptions & { timeout?: number }): ResultPromise {
  const { timeout } = options;
  return execa(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: options.env ?? cleanEnv(),
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    stripFinalNewline: false,
    // A test stops gitpaas with a signal and waits for it to stop the app: never SIGKILL it early.
    forceKillAfterDelay: false,
    // runCli: a command that hangs past its deadline is killed outright.
    ...(timeout ? { timeout, killSignal: 'SIGKILL' as const } : {}),
  });
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `gitpaas …` to completion (killed after `timeout`, 30 s by default). */
export async function runCli(
  args: readonly string[],
  options: CliOptions & { timeout?: number } = {},
): Promise<Result> {
  const result = await spawnCli(args, { ...options, timeout: options.timeout ?? 30_000 });
  if (result.timedOut) {
    throw new Error(`gitpaas ${args.join(' ')} did not finish in time\n${result.stdout}\n${result.stderr}`);
  }
  return { code: result.exitCode ?? null, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A long-running `gitpaas …` whose output is collected as it comes. */
export interface Running {
  child: ResultPromise;
  readonly stdout: string;
  readonly stderr: string;
  /** Its exit code; null when a signal ended it. */
  exited: Promise<number | null>;
}

const running = new Set<ResultPromise>();

export function startCli(args: readonly string[], options: CliOptions = {}): Running {
  const child = spawnCli(args, options);
  running.add(child);
  const state = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk) => (state.stdout += chunk));
  child.stderr?.on('data', (chunk) => (state.stderr += chunk));
  const exited = child.then((result) => {
    running.delete(child);
    return result.exitCode ?? null;
  });
  return {
    child,
    get stdout() {
      return state.stdout;
    },
    get stderr() {
      return state.stderr;
    },
    exited,
  };
}

/** Stops what a test left running (SIGTERM lets gitpaas stop the app it runs). */
async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await child;
      clearTimeout(timer);
    }),
  );
}

/**
 * Stops the gitpaas processes a test started and removes its temp dirs, after each test, or
 * after all of them for a suite that shares one running `up`.
 */
export function cleanUpAfter(hook: typeof afterEach | typeof afterAll = afterEach): void {
  hook(async () => {
    await stopAll();
    await removeTempDirs();
  });
}

/** A temp dir (removed by cleanUpAfter) with a bare repository seeded with the example app. */
export async function seededRepo(): Promise<{ dir: string; repo: DemoRepo }> {
  const dir = await makeTempDir('gitpaas-cli-test-');
  return { dir, repo: await createDemoRepo(dir, await exampleAppDir()) };
}

/** Whether a process (by PID) still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** GET a URL; undefined when nothing answers. */
export async function get(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

/** The revision the example app serves on `port`, or undefined. */
export async function servedRevision(port: number): Promise<string | undefined> {
  const response = await get(`http://127.0.0.1:${port}/version`);
  if (response?.status !== 200) return undefined;
  return (JSON.parse(response.body) as { revision: string }).revision;
}

/** `gitpaas up` serving the example app of `repo` on 127.0.0.1: its public port and status URL. */
export async function startUp(
  dir: string,
  repo: DemoRepo,
  flags: string[] | ((ports: { port: number; httpPort: number }) => string[]),
) {
  const port = await freePort();
  const httpPort = await freePort();
  const statusUrl = `http://127.0.0.1:${httpPort}`;
  const up = startCli([
    'up',
    `--repo=file://${repo.bare}`,
    '--ref=main',
    `--root=${join(dir, 'srv')}`,
    `--port=${port}`,
    '--host=127.0.0.1',
    `--http-bind=${statusUrl.slice('http://'.length)}`,
    '--ready-path=/healthz',
    ...(typeof flags === 'function' ? flags({ port, httpPort }) : flags),
    '--',
    'node',
    'server.js',
  ]);
  return { up, port, statusUrl };
}

/** Waits (up to a minute) until the example app on `port` serves `hash`; a failure shows `up`'s output. */
export async function waitServing(up: Running, port: number, hash: string, message: string): Promise<void> {
  await waitFor(async () => (await servedRevision(port)) === hash, { timeout: 60_000, message }).catch(
    (error: unknown) => {
      throw new Error(`${error}\n--- stdout\n${up.stdout}\n--- stderr\n${up.stderr}`);
    },
  );
}
