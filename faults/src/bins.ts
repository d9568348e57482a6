import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gitEnv } from '@gitpaas/test-utils';

const repoFile = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/** The bins as npm links them (built by `pnpm build`; `pnpm test:faults` builds first). */
export const BINS = {
  'git-sync': repoFile('packages/git-sync/bin/git-sync.js'),
  reloader: repoFile('packages/reloader/bin/reloader.js'),
  gitpaas: repoFile('packages/cli/bin/gitpaas.js'),
} as const;
export type BinName = keyof typeof BINS;

/** The app every case runs: its behaviour is the revision's app.json. */
export const APP = fileURLToPath(new URL('../fixtures/app.mjs', import.meta.url));

/** How the reloader (alone or in gitpaas up) starts, checks and stops that app in every case. */
export const APP_HANDOFF_FLAGS = [
  ...['--ready-path', '/healthz', '--ready-timeout', '5s'],
  ...['--drain-timeout', '1s', '--stop-timeout', '2s'],
];

/**
 * The machine's environment without any gitpaas setting (GITSYNC_*, GIT_SYNC_*, GITPAAS_*), colours
 * or NODE_PATH, plus git isolated from the machine's config, plus `extra`.
 */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      value === undefined ||
      /^(GITSYNC_|GIT_SYNC_|GITPAAS_|FORCE_COLOR|NO_COLOR|DEBUG$|NODE_PATH$)/.test(key)
    )
      continue;
    env[key] = value;
  }
  return { ...env, ...gitEnv, ...extra };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A bin running as a process of its own (its own process group), its output kept whole. */
export class BinProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;

  constructor(
    readonly name: BinName,
    readonly args: readonly string[],
    options: { env?: Record<string, string>; cwd?: string } = {},
  ) {
    this.child = spawn(process.execPath, [BINS[name], ...args], {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Both streams, as a user's terminal would show them. */
  get output(): string {
    return this.stdout + this.stderr;
  }

  /** SIGTERM (the bin stops what it started), then SIGKILL of its group if it takes over `graceMs`. */
  async stop(graceMs = 20_000): Promise<Exit> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.killGroup(), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** SIGKILL of the whole process group (the bin and every git or app it runs in its group). */
  killGroup(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
  }
}

const running = new Set<BinProcess>();

/** Stops every bin a case left running (afterEach). */
export async function stopAllBins(): Promise<void> {
  await Promise.all([...running].map((bin) => bin.stop()));
}

/** Runs a bin to its end (SIGKILLed after `timeoutMs`). */
export async function runBin(
  name: BinName,
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const bin = new BinProcess(name, args, options);
  const timer = setTimeout(() => bin.killGroup(), options.timeoutMs ?? 30_000);
  // 'close' comes once the output is read to its end, after 'exit'.
  await new Promise((resolve) => bin.child.once('close', resolve));
  clearTimeout(timer);
  return { ...(await bin.exited), stdout: bin.stdout, stderr: bin.stderr };
}
