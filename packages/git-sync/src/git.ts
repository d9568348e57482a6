import { type ChildProcess, spawn } from 'node:child_process';
import {
  descendantsOf,
  formatDuration,
  type Logger,
  type ProcessInfo,
  processTable,
  type Redactor,
  signalProcess,
} from '@gitpaas/core';
import { GitCommandError, GitSyncError, type GitSyncErrorCode } from './errors.js';

export interface GitContext {
  /** Environment of git commands that work on the repository alone (config, no credentials). */
  env: Record<string, string>;
  /** Environment of git commands that reach the remote: `env` plus auth. */
  remoteEnv: Record<string, string>;
  /** Aborted on stop() or when --sync-timeout passes. */
  signal: AbortSignal;
  /** Aborted only on stop(); tells a stop apart from a timeout. */
  stopSignal: AbortSignal;
  timeoutMs: number;
  redactor: Redactor;
  logger: Logger;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The tail of git's output that names the problem, without progress noise. */
function tail(text: string, lines = 4): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(
      (line) => line && !/^(remote: )?(Counting|Compressing|Receiving|Resolving|Enumerating)/.test(line),
    )
    .slice(-lines)
    .join(' | ');
}

/**
 * Runs the real git binary. Secrets never reach argv: auth travels in the environment of the
 * commands that reach the remote (`remote: true`) alone; output and errors are redacted. Stays in our process group, so a container runtime killing the
 * group also kills a running git (no orphan keeps writing into a worktree after a restart).
 */
export async function runGit(
  ctx: GitContext,
  args: string[],
  options: {
    cwd: string;
    code?: GitSyncErrorCode;
    what?: string;
    input?: string;
    allowFail?: boolean;
    /** The command talks to the remote (ls-remote, fetch, submodules): it gets the credentials. */
    remote?: boolean;
  },
): Promise<GitResult> {
  const shown = ctx.redactor.redact(`git ${args.join(' ')}`);
  ctx.logger.debug('running git', { command: shown, cwd: options.cwd });
  if (ctx.signal.aborted) throw abortError(ctx, shown);
  const child = spawn('git', args, {
    cwd: options.cwd,
    env: options.remote ? ctx.remoteEnv : ctx.env,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  // On stop or timeout the whole tree goes: git's helpers (index-pack, ssh, remote-http) would
  // otherwise hold its pipes open, and stop() must not wait on a hung server.
  const onAbort = () => {
    const tree = processTree(child.pid);
    for (const info of tree) signalProcess(info, 'SIGTERM');
    setTimeout(() => {
      for (const info of tree) signalProcess(info, 'SIGKILL');
    }, 300).unref();
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let result: { stdout: string; stderr: string; exitCode: number | null };
  try {
    result = await finished(child, options.input);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  if (ctx.signal.aborted) throw abortError(ctx, shown);
  const { stdout, stderr } = result;
  const exitCode = result.exitCode ?? -1;
  if (exitCode === 0 || options.allowFail) return { stdout, stderr, exitCode };
  const reason = ctx.redactor.redact(tail(stderr) || tail(stdout) || `exit code ${exitCode}`);
  const cause = new GitCommandError(shown, exitCode, ctx.redactor.redact(tail(stderr, 20)), reason);
  const code = authFailure(stderr) ? 'E_AUTH' : diskFull(stderr) ? 'E_DISK_FULL' : (options.code ?? 'E_GIT');
  throw new GitSyncError(code, `${options.what ?? shown} failed: ${reason}${hint(code, stderr)}`, { cause });
}

/** Git processes running now: killed if this process exits without stopping them (a crash). */
const running = new Set<ChildProcess>();
let exitHook = false;

/**
 * Collects a git process's output (final newline stripped) and its exit code (null when it could
 * not start or was killed by a signal). node:child_process directly: a git per step is the hot
 * path, and execa costs start-up time and memory the sync loop does not need.
 */
function finished(
  child: ChildProcess,
  input: string | undefined,
): Promise<{ stdout: string; stderr: string; exitCode: number | null }> {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const proc of running) proc.kill('SIGTERM');
    });
  }
  running.add(child);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  if (input !== undefined && child.stdin) {
    // git may exit before reading everything (it failed): that EPIPE is its exit code's story.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  }
  const text = (chunks: Buffer[]) =>
    Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  return new Promise((resolve) => {
    let spawnFailed = false;
    child.once('error', () => {
      spawnFailed = true;
      running.delete(child);
      resolve({ stdout: '', stderr: '', exitCode: null });
    });
    child.once('close', (code) => {
      running.delete(child);
      if (!spawnFailed) resolve({ stdout: text(out), stderr: text(err), exitCode: code });
    });
  });
}

/** git and every process under it, seen before any is signalled (children are lost once a parent dies). */
function processTree(pid: number | undefined): Array<Pick<ProcessInfo, 'pid' | 'startTime'>> {
  if (!pid) return [];
  const table = processTable();
  // Without /proc (not Linux) the table is empty: git itself is still signalled, by pid alone.
  const self = table.find((info) => info.pid === pid) ?? { pid, startTime: 0 };
  return [self, ...descendantsOf(pid, table)];
}

function abortError(ctx: GitContext, shown: string): GitSyncError {
  if (ctx.stopSignal.aborted) return new GitSyncError('E_STOPPED', `stopped while running ${shown}`);
  return new GitSyncError(
    'E_TIMEOUT',
    `sync took longer than --sync-timeout (${formatDuration(ctx.timeoutMs)}) during ${shown}: raise --sync-timeout or check the connection to the repository`,
  );
}

function authFailure(stderr: string): boolean {
  return /Authentication failed|could not read (Username|Password)|Permission denied \(publickey|Host key verification failed|terminal prompts disabled|HTTP (Basic: )?Access denied|returned error: 40[13]/i.test(
    stderr,
  );
}

function diskFull(text: string): boolean {
  return /No space left on device|Disk quota exceeded|ENOSPC/i.test(text);
}

/** What a full disk means for the user: said once, for git's errors and the file system's. */
export const DISK_FULL_HINT =
  ' (the filesystem of --root is full: free or add space; the published revision stays, and the newest revision that fits is published as soon as it fits)';

function hint(code: GitSyncErrorCode, stderr: string): string {
  if (code === 'E_DISK_FULL') return DISK_FULL_HINT;
  if (/Host key verification failed/i.test(stderr)) {
    return ' (add the host key to --ssh-known-hosts-file, or set --ssh-known-hosts=false)';
  }
  if (/Permission denied \(publickey/i.test(stderr))
    return ' (check --ssh-key-file and the key the server accepts)';
  if (code === 'E_AUTH') return ' (check --username and --password-file or GITSYNC_PASSWORD)';
  if (
    /Could not resolve host|Connection refused|Connection timed out|unable to access|Could not read from remote/i.test(
      stderr,
    )
  ) {
    return ' (check --repo and that the server is reachable)';
  }
  if (/does not appear to be a git repository|not found|No such file or directory/i.test(stderr)) {
    return ' (check --repo)';
  }
  return '';
}
