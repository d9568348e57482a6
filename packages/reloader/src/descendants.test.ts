import { type ChildProcess, spawn } from 'node:child_process';
import { isRunning, readProcess, signalGroup } from '@gitpaas/core';
import { waitFor } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Descendants, RUN_ID_ENV } from './descendants.js';

const started: ChildProcess[] = [];
const tracked: Descendants[] = [];
afterEach(() => {
  for (const descendants of tracked.splice(0)) {
    descendants.signal('SIGKILL', -1);
    descendants.untrack();
  }
  for (const child of started.splice(0)) if (child.pid) signalGroup(child.pid, 'SIGKILL');
});

/** A process in a group of its own, with `env` added to its environment. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, ...env },
  });
  started.push(child);
  return child;
}

const running = (pid: number) => {
  const info = readProcess(pid);
  return info !== null && isRunning(info);
};

describe('Descendants', () => {
  it('finds a process that left the tree by a double fork before any sample, by the run id in its environment', async () => {
    const descendants = new Descendants();
    tracked.push(descendants);
    const shell = run('/bin/sh', ['-c', 'setsid sleep 1002 >/dev/null 2>&1 </dev/null & echo $!'], {
      [RUN_ID_ENV]: descendants.runId,
    });
    descendants.track(shell.pid!);
    let printed = '';
    shell.stdout!.on('data', (chunk: Buffer) => (printed += chunk));
    await new Promise((resolve) => shell.once('exit', resolve));
    const sleep = Number(printed.trim());
    await waitFor(() => readProcess(sleep)?.comm === 'sleep', { message: 'sleep to run' });
    // Its parent is gone: the tree no longer leads to it; its environment does.
    expect(readProcess(sleep)!.ppid).not.toBe(shell.pid);
    expect(descendants.sample()).toEqual([]);
    expect((await descendants.scan()).map((seen) => seen.pid)).toEqual([sleep]);
    expect(descendants.signal('SIGKILL', shell.pid!)).toBe(1);
    await waitFor(() => !running(sleep), { message: 'the double-forked sleep gone' });
  });

  it('forgets what has exited, so an app that starts a process per request does not grow it', async () => {
    const descendants = new Descendants();
    tracked.push(descendants);
    // Six short-lived children, then the shell becomes a long sleep itself.
    const shell = run('/bin/sh', ['-c', 'for i in 1 2 3 4 5 6; do sleep 0.1; done; exec sleep 30']);
    descendants.track(shell.pid!);
    const seen = new Set<number>();
    await waitFor(
      () => {
        for (const info of descendants.sample()) seen.add(info.pid);
        return readProcess(shell.pid!)?.comm === 'sleep';
      },
      { message: 'the short sleeps, then the long one', interval: 20 },
    );
    descendants.sample();
    expect(seen.size).toBeGreaterThanOrEqual(1);
    // Only the shell (now the long sleep) is left to remember.
    expect(descendants.size).toBe(1);
  });

  it('never signals a pid that was seen before but now belongs to another process (start time differs)', async () => {
    const root = run('sleep', ['30']);
    const other = run('sleep', ['31']);
    await waitFor(
      () => readProcess(other.pid!)?.comm === 'sleep' && readProcess(root.pid!)?.comm === 'sleep',
      {
        message: 'both sleeps to run',
      },
    );
    const rootInfo = readProcess(root.pid!)!;
    const now = readProcess(other.pid!)!;
    // The table as it was when `other`'s pid belonged to an earlier child of root.
    const reused = new Descendants();
    tracked.push(reused);
    reused.track(root.pid!);
    expect(reused.sample([rootInfo, { ...now, ppid: root.pid!, startTime: now.startTime - 1 }])).toHaveLength(
      1,
    );
    expect(reused.signal('SIGKILL', root.pid!)).toBe(0);
    expect(running(other.pid!)).toBe(true);
    // The same pid with its real start time is signalled.
    const same = new Descendants();
    tracked.push(same);
    same.track(root.pid!);
    expect(same.sample([rootInfo, { ...now, ppid: root.pid! }])).toHaveLength(1);
    expect(same.signal('SIGKILL', root.pid!)).toBe(1);
    await waitFor(() => !running(other.pid!), { message: 'the real descendant gone' });
  });
});
