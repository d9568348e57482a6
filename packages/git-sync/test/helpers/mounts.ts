// Mounts for the root-safety and disk-full suites: they need root (CI runs as root).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

let mountable: boolean | undefined;

/** Whether this process may mount (root with CAP_SYS_ADMIN), found by mounting a tiny tmpfs once. */
export function canMount(): boolean {
  mountable ??= probeMount();
  return mountable;
}

function probeMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = mkdtempSync(join(tmpdir(), 'gitpaas-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmdirSync(dir);
  }
}

const mounted: string[] = [];

/** Mounts a tmpfs of `size` (e.g. `8m`) on `dir`; undone by `unmountAll()`. */
export async function mountTmpfs(dir: string, size: string): Promise<void> {
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounted.push(dir);
}

/** Gives the tmpfs on `dir` a new size, keeping what it holds. */
export async function resizeTmpfs(dir: string, size: string): Promise<void> {
  await execa('mount', ['-o', `remount,size=${size}`, dir]);
}

/** Bind-mounts `source` on `dir`; undone by `unmountAll()`. */
export async function bindMount(source: string, dir: string): Promise<void> {
  await execa('mount', ['--bind', source, dir]);
  mounted.push(dir);
}

/** Unmounts everything mounted here, newest first (call it before removing temp dirs). */
export async function unmountAll(): Promise<void> {
  for (const dir of mounted.splice(0).reverse()) await execa('umount', ['-l', dir], { reject: false });
}
