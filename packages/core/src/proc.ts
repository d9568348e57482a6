import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** One process as /proc shows it (Linux). `startTime` (clock ticks since boot) tells a reused pid apart. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** R, S, D, Z (zombie), X (dead) … */
  state: string;
  startTime: number;
  /** The command name (at most 15 characters, as in `ps -o comm`). */
  comm: string;
}

/** Reads one process's /proc/<pid>/stat; null when it is gone (or not on Linux). */
export function readProcess(pid: number): ProcessInfo | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the last ')' (the command name may hold spaces or parentheses): state ppid pgrp session …
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return {
    pid,
    comm: stat.slice(stat.indexOf('(') + 1, close),
    state: fields[0] ?? '?',
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    sid: Number(fields[3]),
    startTime: Number(fields[19]),
  };
}

/**
 * One variable of a process's environment as it was exec'd (/proc/<pid>/environ); null when it is
 * unset, the process is gone, or its environment is not ours to read (another user's).
 */
export async function environmentVariable(pid: number, name: string): Promise<string | null> {
  let environ: string;
  try {
    environ = await readFile(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return null;
  }
  const prefix = `${name}=`;
  for (const entry of environ.split('\0')) if (entry.startsWith(prefix)) return entry.slice(prefix.length);
  return null;
}

/**
 * The direct children of a process, from the children lists of its threads (cheap: no walk of the
 * whole table); null when the process is gone or the kernel has no such lists (CONFIG_PROC_CHILDREN).
 */
export function childrenOf(pid: number): number[] | null {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  const children: number[] = [];
  let listed = false;
  for (const tid of threads) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
      listed = true;
      for (const child of text.split(' ')) if (child.trim()) children.push(Number(child));
    } catch {
      // A thread that has just exited, or no children lists at all (then none is listed).
    }
  }
  return listed ? children : null;
}

/** Every process /proc shows; empty where there is no /proc. */
export function processTable(): ProcessInfo[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcessInfo[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcess(Number(entry));
    if (info) out.push(info);
  }
  return out;
}

/** A process that has not exited: zombies and dead entries do not count. */
export function isRunning(info: ProcessInfo): boolean {
  return info.state !== 'Z' && info.state !== 'X';
}

/**
 * Every descendant of `root` in the table, children before grandchildren. Collect them before
 * anything is killed: once a parent dies its children are re-parented and lost from view.
 */
export function descendantsOf(root: number, table: readonly ProcessInfo[] = processTable()): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const info of table) children.set(info.ppid, [...(children.get(info.ppid) ?? []), info]);
  const out: ProcessInfo[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/**
 * Whether any running (non-zombie) process is left in the group. On Linux /proc is read, because an
 * orphaned grandchild that init has not reaped yet still counts for kill(-pgid, 0).
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  return processTable().some((info) => info.pgid === pgid && isRunning(info));
}

/** Sends a signal to a whole process group; false when the group is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Signals a process only if it is still the one that was seen (same pid and start time), so a
 * pid the kernel has handed to another process since is never signalled. False when gone.
 */
export function signalProcess(seen: Pick<ProcessInfo, 'pid' | 'startTime'>, signal: NodeJS.Signals): boolean {
  const now = readProcess(seen.pid);
  if (process.platform === 'linux' && (!now || now.startTime !== seen.startTime || !isRunning(now))) {
    return false;
  }
  try {
    process.kill(seen.pid, signal);
    return true;
  } catch {
    return false;
  }
}
