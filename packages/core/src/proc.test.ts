import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import {
  childrenOf,
  descendantsOf,
  environmentVariable,
  groupAlive,
  processTable,
  readProcess,
  signalGroup,
  signalProcess,
} from './proc.js';

const linux = process.platform === 'linux';
const started: number[] = [];

afterEach(() => {
  for (const pid of started.splice(0)) signalGroup(pid, 'SIGKILL');
});

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(!linux)('the process table (/proc; Linux only)', () => {
  it('finds every descendant of a process, also one that left for its own session', async () => {
    // sh → sleep, and sh → setsid sleep (a new session and group: it escapes the group)
    const child = spawn('sh', ['-c', 'sleep 30 & setsid sleep 31 & wait'], {
      detached: true,
      stdio: 'ignore',
    });
    started.push(child.pid!);
    // Both have exec'd sleep (the command name says so), so setsid has run.
    const sleeps = () => descendantsOf(child.pid!).filter((info) => info.comm === 'sleep');
    await until(() => sleeps().length === 2, 'two sleeps');
    const kids = sleeps();
    expect(kids.every((info) => info.ppid === child.pid)).toBe(true);
    const own = readProcess(child.pid!)!;
    expect(kids.some((info) => info.sid !== own.sid)).toBe(true);
    expect(kids.some((info) => info.pgid === own.pgid)).toBe(true);
    expect(groupAlive(own.pgid)).toBe(true);
    for (const info of kids) signalProcess(info, 'SIGKILL');
    signalGroup(own.pgid, 'SIGKILL');
    await until(() => !groupAlive(own.pgid), 'the group to be gone');
  });

  it("reads one variable of a process's environment as it was started", async () => {
    const child = spawn('sleep', ['30'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, PROC_TEST_MARK: 'a=b c' },
    });
    started.push(child.pid!);
    await until(() => readProcess(child.pid!)?.comm === 'sleep', 'sleep to run');
    expect(await environmentVariable(child.pid!, 'PROC_TEST_MARK')).toBe('a=b c');
    expect(await environmentVariable(child.pid!, 'PROC_TEST_MAR')).toBeNull();
    expect(await environmentVariable(2 ** 22 + 7, 'PATH')).toBeNull();
  });

  it('lists the direct children of a process, as the table does', async () => {
    const child = spawn('sh', ['-c', 'sleep 30 & sleep 31 & wait'], { detached: true, stdio: 'ignore' });
    started.push(child.pid!);
    await until(
      () => descendantsOf(child.pid!).filter((info) => info.comm === 'sleep').length === 2,
      'two sleeps',
    );
    const fromTable = descendantsOf(child.pid!).map((info) => info.pid);
    // Kernels without CONFIG_PROC_CHILDREN have no lists: null, and callers read the table instead.
    const listed = childrenOf(child.pid!);
    if (listed !== null) expect(listed.sort()).toEqual(fromTable.sort());
    expect(childrenOf(2 ** 22 + 7)).toBeNull();
  });

  it('never signals a pid whose start time no longer matches (a reused pid)', () => {
    const self = readProcess(process.pid)!;
    expect(self.startTime).toBeGreaterThan(0);
    expect(processTable().some((info) => info.pid === process.pid)).toBe(true);
    expect(signalProcess({ pid: process.pid, startTime: self.startTime + 1 }, 'SIGTERM')).toBe(false);
    expect(
      signalProcess({ pid: process.pid, startTime: self.startTime }, 0 as unknown as NodeJS.Signals),
    ).toBe(true);
    expect(readProcess(2 ** 22 + 7)).toBeNull();
  });
});
