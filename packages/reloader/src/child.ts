import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import { deadline, groupAlive, signalGroup, sleep, whenAborted } from '@gitpaas/core';
import { Descendants, RUN_ID_ENV } from './descendants.js';

export interface ChildExit {
  code: number | null;
  signal: string | null;
  /** Set when the process could not be started at all (e.g. command not found). */
  error?: string;
}

export interface SpawnInput {
  command: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Run `command[0]` through the shell (for `--build "npm ci"` and one-string commands). */
  shell: boolean;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  /** How `stop()` ends the group: this signal, then SIGKILL after `stopTimeout` ms. */
  stopSignal: NodeJS.Signals;
  stopTimeout: number;
  /** Opens a Node IPC channel to it (fd 3): --socket-handoff hands connections over it. */
  ipc?: boolean;
}

/** Every child not stopped yet, so an unexpected exit of the reloader can SIGKILL what they left. */
const running = new Set<Child>();
function killAllOnExit(): void {
  for (const child of running) child.killNow();
}
function forget(child: Child): void {
  if (running.delete(child) && running.size === 0) process.off('exit', killAllOnExit);
}

/**
 * A child process that leads its own process group, so stopping it reaches every grandchild;
 * descendants that leave the group (setsid, detached, a double fork) are tracked and stopped too.
 */
export class Child {
  readonly pid: number | undefined;
  /** Resolves once the direct child has exited (never rejects). */
  readonly exited: Promise<ChildExit>;
  /** Resolves true once the process runs, false when it could not be started (e.g. not found). */
  readonly spawned: Promise<boolean>;
  exit: ChildExit | null = null;
  private stopping: Promise<ChildExit> | null = null;
  private readonly stopSignal: NodeJS.Signals;
  private readonly stopTimeout: number;
  private readonly descendants = new Descendants();
  /** Set once the direct child exited with nothing left in its group: the group id may be reused. */
  private groupGone = false;
  /** The process itself, for its IPC channel (`ipc`). */
  readonly process: ChildProcess;

  constructor(input: SpawnInput) {
    this.stopSignal = input.stopSignal;
    this.stopTimeout = input.stopTimeout;
    const [file, ...args] = input.command;
    // node:child_process rather than execa: execa costs the reloader 12 MB of resident memory.
    const subprocess = spawn(file!, args, {
      cwd: input.cwd,
      env: { ...input.env, [RUN_ID_ENV]: this.descendants.runId },
      shell: input.shell,
      detached: true,
      stdio: input.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    this.process = subprocess;
    this.pid = subprocess.pid;
    let startError: Error | undefined;
    subprocess.on('error', (error) => {
      startError ??= error;
    });
    this.spawned = new Promise((resolve) => {
      subprocess.once('spawn', () => resolve(true));
      subprocess.once('error', () => resolve(false));
    });
    if (this.pid !== undefined) {
      if (running.size === 0) process.on('exit', killAllOnExit);
      running.add(this);
      this.descendants.track(this.pid);
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = subprocess[stream];
      if (source)
        createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
          input.onLine(stream, line),
        );
    }
    // 'close': the process exited and its output was read to the end (its last lines are kept).
    const exited = new Promise<ChildExit>((resolve) => {
      subprocess.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        const failedToStart = startError && subprocess.pid === undefined;
        const exit: ChildExit = failedToStart
          ? { code: null, signal: null, error: startError!.message }
          : { code, signal };
        this.exit = exit;
        resolve(exit);
      });
    });
    // A group that is gone is never signalled again: its id may be reused.
    this.exited = exited.then((exit) => {
      if (this.pid !== undefined && !groupAlive(this.pid)) this.groupGone = true;
      return exit;
    });
  }

  /**
   * Stops the whole process group: the stop signal, then SIGKILL after the stop timeout if anything
   * in the group is still alive. Also cleans up grandchildren left behind by a child that already exited.
   */
  stop(): Promise<ChildExit> {
    this.stopping ??= this.stopGroup(this.stopSignal, this.stopTimeout);
    return this.stopping;
  }

  /** SIGKILLs the whole group at once (a crashed app's leftovers), unless a stop is already under way. */
  kill(): Promise<ChildExit> {
    this.stopping ??= this.stopGroup('SIGKILL', 0);
    return this.stopping;
  }

  /** SIGKILLs the group and every tracked descendant at once, synchronously (the reloader is exiting). */
  killNow(): void {
    if (this.pid === undefined) return;
    if (!this.groupGone) signalGroup(this.pid, 'SIGKILL');
    this.descendants.signal('SIGKILL', this.pid);
  }

  private async stopGroup(signal: NodeJS.Signals, timeoutMs: number): Promise<ChildExit> {
    const pgid = this.pid;
    if (pgid === undefined) return this.exited;
    const { descendants } = this;
    // Look once more before anything dies: an orphan is re-parented at once and lost from the tree.
    descendants.sample();
    const group = () => !this.groupGone && groupAlive(pgid);
    const left = () => group() || descendants.alive().length > 0;
    const grouped = !this.groupGone && signalGroup(pgid, signal);
    let signalled = descendants.signal(signal, pgid);
    // What left the tree before a sample saw it, by the run id in its environment.
    signalled += descendants.signal(signal, pgid, await descendants.scan());
    if (signalled > 0 || grouped) {
      // unref'd: a child that exits early must not keep the host process alive for the whole grace
      const grace = deadline(timeoutMs, [], true);
      try {
        await Promise.race([this.exited, whenAborted(grace.signal)]);
        while (left() && !grace.signal.aborted) {
          // What the stopping processes start meanwhile gets the signal too.
          descendants.signal(signal, pgid, descendants.sample());
          await sleep(50);
        }
      } finally {
        grace.clear();
      }
      if (group()) signalGroup(pgid, 'SIGKILL');
      descendants.sample();
      await descendants.scan();
      descendants.signal('SIGKILL', pgid);
    }
    const exit = await this.exited;
    for (let i = 0; i < 100 && left(); i++) await sleep(20);
    this.groupGone = true;
    descendants.untrack();
    forget(this);
    return exit;
  }
}

/** Exit status the way a shell reports it: the code, or 128 + signal number. */
export function exitStatus(exit: ChildExit | null): number {
  if (!exit) return 0;
  if (exit.code !== null) return exit.code;
  if (exit.signal) {
    return 128 + (constants.signals[exit.signal as NodeJS.Signals] ?? 15);
  }
  return 1;
}

/** How a process ended, for messages: "exited with code 3", "was killed by SIGKILL", "could not start (…)". */
export function describeExit(exit: ChildExit): string {
  if (exit.error) return `could not start (${exit.error})`;
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}
