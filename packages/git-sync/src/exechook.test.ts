import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs, script, waitFor } from '../test/helpers/index.js';
import { runCommand } from './exechook.js';

const HASH = '3f786850e387550fdab836ed7e6dc881de23001b';

/** Running (a zombie waiting for its reaper counts as dead). */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat !== null && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

afterEach(removeTempDirs);

describe('runCommand', () => {
  it('runs the program in the given directory with GITSYNC_HASH and no arguments', async () => {
    const dir = await makeTempDir();
    const hook = await script(dir, 'hook', 'echo "cwd=$(pwd) hash=$GITSYNC_HASH args=$#"');
    const result = await runCommand({
      command: hook,
      cwd: dir,
      env: { GITSYNC_HASH: HASH },
      timeoutMs: 30_000,
    });
    expect(result).toMatchObject({ ok: true, exitCode: 0, timedOut: false });
    expect(result.output).toEqual([`cwd=${dir} hash=${HASH} args=0`]);
  });

  it("runs hooks without git-sync's own settings and credentials in their environment, keeping the rest", async () => {
    const dir = await makeTempDir();
    const hook = await script(dir, 'hook', 'env');
    const planted = {
      GITSYNC_PASSWORD: 'hook-must-not-see',
      GIT_SYNC_PASSWORD: 'hook-must-not-see',
      GITSYNC_REPO: 'https://deploy:hook-must-not-see@host/app.git',
      GIT_SSH_KEY_FILE: '/etc/git-secret/ssh',
      HOOK_SETTING: 'kept',
    };
    Object.assign(process.env, planted);
    try {
      const result = await runCommand({
        command: hook,
        cwd: dir,
        env: { GITSYNC_HASH: HASH },
        timeoutMs: 30_000,
        tailLines: 1000,
      });
      expect(result.ok).toBe(true);
      expect(result.output).toContain(`GITSYNC_HASH=${HASH}`);
      expect(result.output).toContain('HOOK_SETTING=kept');
      expect(
        result.output.filter((line) => /^(GITSYNC_(?!HASH=)|GIT_SYNC_|GIT_SSH_KEY_FILE)/.test(line)),
      ).toEqual([]);
      expect(result.output.join('\n')).not.toContain('hook-must-not-see');
    } finally {
      for (const name of Object.keys(planted)) delete process.env[name];
    }
  });

  it('does not use a shell: a command line is one (missing) program name', async () => {
    const dir = await makeTempDir();
    const result = await runCommand({
      command: `touch ${join(dir, 'pwned')}`,
      cwd: dir,
      env: {},
      timeoutMs: 30_000,
    });
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/was not found: give an existing program/);
    await expect(stat(join(dir, 'pwned'))).rejects.toThrow(/ENOENT/);
  });

  it('reports the exit code and keeps only the last lines of output', async () => {
    const dir = await makeTempDir();
    const hook = await script(
      dir,
      'hook',
      'for i in $(seq 1 50); do echo "line $i"; done; echo oops >&2; exit 3',
    );
    const result = await runCommand({ command: hook, cwd: dir, env: {}, timeoutMs: 30_000, tailLines: 5 });
    expect(result).toMatchObject({ ok: false, exitCode: 3, reason: `${hook} exited with code 3` });
    expect(result.output).toEqual(['line 47', 'line 48', 'line 49', 'line 50', 'oops']);
  });

  it('redacts what it keeps of the output', async () => {
    const dir = await makeTempDir();
    const hook = await script(dir, 'hook', 'echo "token=s3cr3t-value"');
    const result = await runCommand({
      command: hook,
      cwd: dir,
      env: {},
      timeoutMs: 30_000,
      redact: (text) => text.replaceAll('s3cr3t-value', '[REDACTED]'),
    });
    expect(result.output).toEqual(['token=[REDACTED]']);
  });

  it('kills the whole process group when the timeout passes', async () => {
    const dir = await makeTempDir();
    const pidFile = join(dir, 'child.pid');
    const hook = await script(dir, 'hook', `sleep 600 & echo $! > ${pidFile}; echo started; wait`);
    const result = await runCommand({ command: hook, cwd: dir, env: {}, timeoutMs: 500 });
    expect(result).toMatchObject({ ok: false, timedOut: true });
    expect(result.reason).toMatch(/timed out after 500 ms/);
    const child = Number((await readFile(pidFile, 'utf8')).trim());
    await waitFor(async () => !(await alive(child)), { message: 'the hook’s background child to die' });
  });

  it('stops the command when the signal aborts', async () => {
    const dir = await makeTempDir();
    const hook = await script(dir, 'hook', 'echo started; exec sleep 600');
    const abort = new AbortController();
    const running = runCommand({
      command: hook,
      cwd: dir,
      env: {},
      timeoutMs: 600_000,
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 200);
    const result = await running;
    expect(result.ok).toBe(false);
    expect(result.timedOut).toBe(false);
  });
});
