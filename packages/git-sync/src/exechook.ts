import { userEnvironment } from '@gitpaas/core';
import type { Hook, HookResult } from './hooks.js';

export interface RunCommandOptions {
  /** A program path or name, run without a shell and without arguments (as kubernetes/git-sync does). */
  command: string;
  cwd: string;
  /** Added to this process's environment minus git-sync's own settings and credentials (core's userEnvironment). */
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** How many trailing output lines to keep. */
  tailLines?: number;
  /** Applied to every output line before it is kept. */
  redact?: (text: string) => string;
}

export interface CommandResult extends HookResult {
  exitCode: number | null;
  timedOut: boolean;
  output: string[];
}

/** A hook that ignores SIGTERM gets SIGKILL this long after it. */
const KILL_GRACE_MS = 2000;
const MAX_TAIL_CHARS = 64 * 1024;

/**
 * Runs `command` in its own process group and kills the whole group on timeout or abort,
 * so a hook's children cannot outlive it (or keep its output pipe open).
 */
export async function runCommand(options: RunCommandOptions): Promise<CommandResult> {
  const { command, cwd, env, timeoutMs, signal, tailLines = 20, redact = (s) => s } = options;
  // Loaded by the first hook: the sync loop itself never needs it (start-up time, memory).
  const { execa } = await import('execa');
  const child = execa(command, [], {
    cwd,
    // A hook (or the gate's npm install) that prints or sends its environment must not leak the
    // git password or the trigger secret.
    env: { ...userEnvironment(process.env), ...env },
    extendEnv: false,
    shell: false,
    detached: true,
    stdin: 'ignore',
    all: true,
    buffer: false,
    reject: false,
  });
  let tail = '';
  child.all?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-MAX_TAIL_CHARS);
  });

  let timedOut = false;
  let forceKill: NodeJS.Timeout | undefined;
  const killGroup = (name: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, name);
    } catch {
      // the group is already gone
    }
  };
  const terminate = () => {
    killGroup('SIGTERM');
    forceKill ??= setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    terminate();
  }, timeoutMs);
  signal?.addEventListener('abort', terminate, { once: true });

  const result = await child;
  clearTimeout(timer);
  clearTimeout(forceKill);
  signal?.removeEventListener('abort', terminate);

  const output = redact(tail)
    .split(/\r?\n/)
    .filter((line, i, all) => line !== '' || i < all.length - 1)
    .slice(-tailLines);
  const exitCode = result.exitCode ?? null;
  if (timedOut) {
    return { ok: false, exitCode, timedOut, output, reason: `${command} timed out after ${timeoutMs} ms` };
  }
  if (result.failed && exitCode === null) {
    const cause = (result as { code?: string }).code;
    const reason =
      cause === 'ENOENT'
        ? `${command} was not found: give an existing program (no shell, no arguments)`
        : cause === 'EACCES'
          ? `${command} is not executable: chmod +x it`
          : result.signal
            ? `${command} was killed by ${result.signal}`
            : `${command} could not run: ${redact(result.shortMessage ?? 'unknown error')}`;
    return { ok: false, exitCode, timedOut, output, reason };
  }
  if (exitCode !== 0) {
    return { ok: false, exitCode, timedOut, output, reason: `${command} exited with code ${exitCode}` };
  }
  return { ok: true, exitCode, timedOut, output };
}

export interface ExecHookOptions {
  command: string;
  timeoutMs: number;
  /** The worktree directory of a hash (the hook's working directory). */
  worktreeOf: (hash: string) => string;
  redact?: (text: string) => string;
  /** Label in `git_sync_hook_run_count_total`. */
  name?: string;
}

/** `--exechook-command`: runs in the new worktree with `GITSYNC_HASH` set. */
export function createExecHook(options: ExecHookOptions): Hook {
  return {
    name: options.name ?? 'exechook',
    run: (hash, signal) =>
      runCommand({
        command: options.command,
        cwd: options.worktreeOf(hash),
        env: { GITSYNC_HASH: hash },
        timeoutMs: options.timeoutMs,
        signal,
        redact: options.redact,
      }),
  };
}
