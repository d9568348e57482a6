import { randomUUID } from 'node:crypto';
import {
  descendantsOf,
  environmentVariable,
  isRunning,
  type ProcessInfo,
  processTable,
  readProcess,
  signalProcess,
} from '@gitpaas/core';

/**
 * Set in the environment of every process the reloader starts (a fresh id per start). Children
 * inherit it, so a process that left the tree — a double fork re-parents it to init — is still
 * known as this start's.
 */
export const RUN_ID_ENV = 'GITPAAS_RUN_ID';

/** How often the process table is read while anything is tracked. */
const SAMPLE_MS = 1000;

type Seen = Pick<ProcessInfo, 'pid' | 'startTime'>;

/**
 * Every descendant one started process ever had: sampled by ancestry while it runs (every second,
 * and at stop) and by its run id, remembered as (pid, start time) so that a process which left
 * its process group (setsid, detached) or its parent (double fork) is stopped with it, and a pid
 * the kernel has since handed to another process is never signalled.
 */
export class Descendants {
  readonly runId = randomUUID();
  private root: ProcessInfo | null = null;
  private readonly seen = new Map<string, Seen>();

  /** Starts sampling once the process runs as `pid`; it is remembered too, in case it leaves its own group. */
  track(pid: number): void {
    this.root = readProcess(pid);
    if (!this.root) return;
    this.seen.set(keyOf(this.root), { pid, startTime: this.root.startTime });
    sampler.add(this);
  }

  /** How many processes are remembered: the root and its descendants still running at the last sample. */
  get size(): number {
    return this.seen.size;
  }

  /** Stops sampling (the process and whatever it left are gone). */
  untrack(): void {
    sampler.delete(this);
  }

  /** Reads the process table now and remembers every descendant; returns the ones not seen before. */
  sample(table: readonly ProcessInfo[] = processTable(), runIds: RunIds = sampler.runIds): Seen[] {
    const root = this.root;
    if (!root) return [];
    const found: Seen[] = [];
    const remember = (info: ProcessInfo) => {
      const key = keyOf(info);
      if (!isRunning(info) || this.seen.has(key)) return;
      this.seen.set(key, { pid: info.pid, startTime: info.startTime });
      found.push(info);
    };
    const byPid = new Map(table.map((info) => [info.pid, info]));
    // What has exited is forgotten (an app that runs a process per request must not grow this
    // without bound); ancestry is followed from the root and from earlier finds still running
    // (an escaped daemon's children).
    for (const [key, known] of [...this.seen]) {
      if (byPid.get(known.pid)?.startTime !== known.startTime) this.seen.delete(key);
      else for (const info of descendantsOf(known.pid, table)) remember(info);
    }
    // The run id: what left the tree before a sample saw it. Only processes started after the root can carry it.
    for (const info of table) {
      if (info.startTime >= root.startTime && info.pid !== root.pid && runIds.of(info) === this.runId)
        remember(info);
    }
    return found;
  }

  /** Remembered processes still running as themselves (same pid and start time). */
  alive(): Seen[] {
    return [...this.seen.values()].filter((seen) => {
      const now = readProcess(seen.pid);
      return now !== null && now.startTime === seen.startTime && isRunning(now);
    });
  }

  /**
   * Sends `signal` to each remembered process (or each of `only`) that is still itself, except those
   * in process group `signalled`, which got it from the group signal already (a second SIGTERM
   * would cut short a graceful shutdown). Returns how many got it.
   */
  signal(signal: NodeJS.Signals, signalled: number, only: readonly Seen[] = [...this.seen.values()]): number {
    return only.filter((seen) => readProcess(seen.pid)?.pgid !== signalled && signalProcess(seen, signal))
      .length;
  }
}

function keyOf(info: Seen): string {
  return `${info.pid}:${info.startTime}`;
}

/** Run ids of processes, each environment read once (by pid and start time). */
class RunIds {
  private readonly known = new Map<string, string | null>();

  of(info: ProcessInfo): string | null {
    const key = keyOf(info);
    let id = this.known.get(key);
    if (id === undefined) {
      id = environmentVariable(info.pid, RUN_ID_ENV);
      this.known.set(key, id);
    }
    return id;
  }

  /** Forgets processes that are gone. */
  prune(table: readonly ProcessInfo[]): void {
    const live = new Set(table.map(keyOf));
    for (const key of this.known.keys()) if (!live.has(key)) this.known.delete(key);
  }
}

/** One timer and one read of the process table per second for every tracked process. */
class Sampler {
  readonly runIds = new RunIds();
  private readonly tracked = new Set<Descendants>();
  private timer: NodeJS.Timeout | null = null;

  add(descendants: Descendants): void {
    this.tracked.add(descendants);
    // unref'd: sampling never keeps a host process alive.
    this.timer ??= setInterval(() => this.tick(), SAMPLE_MS).unref();
  }

  delete(descendants: Descendants): void {
    this.tracked.delete(descendants);
    if (this.tracked.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private tick(): void {
    const table = processTable();
    this.runIds.prune(table);
    for (const descendants of this.tracked) descendants.sample(table, this.runIds);
  }
}

const sampler = new Sampler();
