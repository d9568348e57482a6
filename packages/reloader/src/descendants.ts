import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import {
  childrenOf,
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

/** How often the tree is sampled while a process runs. */
const SAMPLE_MS = 1000;

type Seen = Pick<ProcessInfo, 'pid' | 'startTime'>;

/**
 * Every descendant one started process ever had: sampled by ancestry while it runs (every second,
 * and at stop) and found by its run id at stop, remembered as (pid, start time) so that a process
 * which left its process group (setsid, detached) or its parent (double fork) is stopped with it,
 * and a pid the kernel has since handed to another process is never signalled.
 */
export class Descendants {
  readonly runId = randomUUID();
  private readonly seen = new Map<string, Seen>();

  /** Starts sampling once the process runs as `pid`; it is remembered too, in case it leaves its own group. */
  track(pid: number): void {
    const root = readProcess(pid);
    if (!root) return;
    this.seen.set(keyOf(root), { pid, startTime: root.startTime });
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

  /**
   * Follows the tree down from every remembered process still running, forgetting those that have
   * exited (an app that runs a process per request must not grow this without bound); returns the
   * new finds. Reads only the tree's children lists, or `table` (the whole process table where the
   * kernel has no such lists).
   */
  sample(table?: readonly ProcessInfo[]): Seen[] {
    const found: Seen[] = [];
    const queue: number[] = [];
    for (const [key, known] of [...this.seen]) {
      const now = table ? table.find((info) => info.pid === known.pid) : readProcess(known.pid);
      if (now?.startTime === known.startTime && isRunning(now)) queue.push(known.pid);
      else this.seen.delete(key);
    }
    const remember = (info: ProcessInfo | null) => {
      if (!info || !isRunning(info) || this.seen.has(keyOf(info))) return;
      this.seen.set(keyOf(info), { pid: info.pid, startTime: info.startTime });
      found.push(info);
    };
    let full = table;
    for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
      const children = table ? null : childrenOf(pid);
      if (children === null) {
        // Gone since, or a kernel without children lists: then the whole table, read once.
        if (!table && !readProcess(pid)) continue;
        full ??= processTable();
        for (const info of descendantsOf(pid, full)) remember(info);
        continue;
      }
      for (const child of children) {
        const before = found.length;
        remember(readProcess(child));
        if (found.length > before) queue.push(child);
      }
    }
    return found;
  }

  /**
   * Reads the environment of every process for this run id: what left the tree before a sample saw
   * it (a daemon's double fork). Asynchronous, and done at stop only: it reads every process.
   */
  async scan(): Promise<Seen[]> {
    let entries: string[];
    try {
      entries = await readdir('/proc');
    } catch {
      return [];
    }
    const found: Seen[] = [];
    await Promise.all(
      entries
        .filter((entry) => /^\d+$/.test(entry))
        .map(async (entry) => {
          const pid = Number(entry);
          if ((await environmentVariable(pid, RUN_ID_ENV)) !== this.runId) return;
          const info = readProcess(pid);
          if (!info || !isRunning(info) || this.seen.has(keyOf(info))) return;
          this.seen.set(keyOf(info), { pid, startTime: info.startTime });
          found.push(info);
        }),
    );
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

/** One timer for every tracked process. */
class Sampler {
  private readonly tracked = new Set<Descendants>();
  private timer: NodeJS.Timeout | null = null;

  add(descendants: Descendants): void {
    this.tracked.add(descendants);
    // unref'd: sampling never keeps a host process alive.
    this.timer ??= setInterval(() => {
      for (const each of this.tracked) each.sample();
    }, SAMPLE_MS).unref();
  }

  delete(descendants: Descendants): void {
    this.tracked.delete(descendants);
    if (this.tracked.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}

const sampler = new Sampler();
