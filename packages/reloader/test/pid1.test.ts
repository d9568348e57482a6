import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../src/port.js';
import { APP, BinProcess, get, hash, Layout, removeDir, tempDir, waitFor } from './helpers.js';

// A new PID namespace makes the bin PID 1, as in a container without an init.
const canBePid1 = spawnSync('unshare', ['-pf', '--mount-proc', 'true']).status === 0;
const tiniDir = ['/usr/bin', '/sbin', '/usr/local/bin'].find((dir) => existsSync(join(dir, 'tini')));
const ORPHANS = 6;

interface Proc {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
}

function processes(): Proc[] {
  const all: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const [state, ppid] = stat.slice(close + 2).split(' ');
      all.push({
        pid: Number(entry),
        ppid: Number(ppid),
        state: state!,
        comm: stat.slice(stat.indexOf('(') + 1, close),
      });
    } catch {
      // gone while reading
    }
  }
  return all;
}

function descendantsOf(root: number): Proc[] {
  const all = processes();
  const found: Proc[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const proc of all) {
      if (parents.has(proc.ppid) && !parents.has(proc.pid)) {
        parents.add(proc.pid);
        found.push(proc);
        grew = true;
      }
    }
  }
  return found;
}

let root: string | undefined;
let bin: BinProcess | undefined;

afterEach(async () => {
  // unshare ignores SIGTERM while it waits: stop the namespace's PID 1 (the bin) itself
  const pid1 = bin?.running ? processes().find((proc) => proc.ppid === bin?.child.pid) : undefined;
  if (pid1) process.kill(pid1.pid, 'SIGTERM');
  await bin?.kill();
  bin = undefined;
  await removeDir(root);
  root = undefined;
});

/** Runs the bin as PID 1 with an app that leaves orphans; returns the zombies left once they exited. */
async function zombiesAsPid1(path: string): Promise<Proc[]> {
  root = await tempDir();
  const layout = new Layout(root);
  await layout.add(hash('pid1'), { orphans: ORPHANS });
  await layout.flip(hash('pid1'));
  const port = await freePort();
  bin = new BinProcess(
    ['--watch', layout.link, '--port', String(port), '--host', '127.0.0.1', '--', process.execPath, APP],
    {
      env: { PATH: path },
      prefix: ['/usr/bin/unshare', '-pf', '--mount-proc', '--kill-child=SIGTERM'],
    },
  );
  await waitFor(async () => (await get(port).catch(() => ({ status: 0 }))).status === 200, {
    message: 'the app serving',
  }).catch((error) => {
    throw new Error(`${error.message}\n${bin?.stderr}\n${bin?.stdout}`);
  });
  const sleeping = () => descendantsOf(bin!.child.pid!).filter((proc) => proc.comm === 'sleep');
  // every orphan has exited: it is either reaped (gone) or a zombie
  await waitFor(() => sleeping().every((proc) => proc.state === 'Z'), { message: 'the orphans to exit' });
  return sleeping();
}

describe.skipIf(!canBePid1 || !tiniDir)('as PID 1', () => {
  it('reaps the orphans of the app by handing over to tini', async () => {
    expect(await zombiesAsPid1(`${tiniDir}:/usr/bin:/bin`)).toEqual([]);
    expect(bin!.stderr).not.toContain('will not be reaped');
  });

  it('warns, and the orphans stay zombies, when no tini is on PATH (what the hand-over prevents)', async () => {
    const zombies = await zombiesAsPid1('/nonexistent');
    expect(zombies.length).toBe(ORPHANS);
    expect(bin!.stderr).toContain('will not be reaped');
  });
});
