import { Child } from './child.js';
import type { Context } from './context.js';
import { childEnv } from './env.js';
import { AppLink, handoffEnv } from './handoff.js';
import type { Release } from './ledger.js';
import { type OutputTail, outputOf } from './output.js';
import { waitReady } from './ready.js';
import type { OutputEvent } from './types.js';
import { Upstream } from './upstream.js';

/** A process of a release, with the port it serves on (handoff mode). */
export interface Running {
  release: Release;
  child: Child;
  /** Private port (handoff mode), served through `upstream` once ready. */
  port: number | null;
  upstream: Upstream | null;
  /** Its IPC channel with --socket-handoff. */
  link: AppLink | null;
  startedAt: number;
  output: OutputTail;
  /** What it runs (given or detected) and the environment added for it; a crash restart reuses them. */
  command: string[];
  env: Record<string, string>;
  crashes: number;
  retiring: boolean;
}

/**
 * Starts one process of a release (its build or its app) in the release dir, in a process group of
 * its own; `handoff`: an app that may take connections itself (--socket-handoff).
 */
export function startChild(
  ctx: Context,
  release: Release,
  output: OutputTail,
  command: string[],
  shell: boolean,
  port: number | null,
  extraEnv: Record<string, string> = {},
  phase: OutputEvent['phase'] = 'app',
  handoff = false,
): Child {
  const { env, stopSignal, stopTimeout } = ctx.options;
  const base = childEnv({ ...env, ...extraEnv }, release, port);
  return new Child({
    command,
    shell,
    cwd: release.dir,
    env: handoff ? handoffEnv(base) : base,
    onLine: outputOf(ctx, release, output, phase),
    stopSignal,
    stopTimeout,
    ipc: handoff,
  });
}

/** Starts `command` for a release; `port` is its private port in handoff mode. */
export function spawnApp(
  ctx: Context,
  release: Release,
  output: OutputTail,
  port: number | null,
  command: string[],
  env: Record<string, string>,
): Running {
  // A single argument with spaces is a shell command line ("npm start"), as with --build.
  const shell = command.length === 1 && /\s/.test(command[0]!);
  release.times.startedAt ??= new Date().toISOString();
  const handoff = ctx.options.socketHandoff && port !== null;
  const child = startChild(ctx, release, output, command, shell, port, env, 'app', handoff);
  return {
    release,
    child,
    port,
    upstream: null,
    link: handoff ? new AppLink(child.process) : null,
    startedAt: Date.now(),
    output,
    command,
    env,
    crashes: 0,
    retiring: false,
  };
}

/** Waits until an app started on a private port is ready and gives it an Upstream; stops it when it is not. */
export async function launch(ctx: Context, running: Running, signal: AbortSignal): Promise<void> {
  const { port, release } = running;
  if (port === null) throw new Error('launch needs a private port');
  const { readyPath, readyTimeout } = ctx.options;
  try {
    await waitReady({
      port,
      timeoutMs: readyTimeout,
      exited: running.child.exited,
      signal,
      ...(readyPath ? { path: readyPath } : {}),
    });
  } catch (error) {
    await running.child.stop();
    throw error;
  }
  const readyMs = Date.now() - running.startedAt;
  release.times.readyMs ??= readyMs;
  ctx.metrics.timeToReady.observe(readyMs / 1000);
  running.upstream = new Upstream(port, running.link);
}
