import { waitFor } from '@gitpaas/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoRepo, pushChange } from '../src/demo-repo.js';
import {
  cleanUpAfter,
  get,
  type Running,
  runCli,
  seededRepo,
  servedRevision,
  startCli,
  startUp,
  waitServing,
} from './helpers.js';

interface Status {
  sync: { syncCount: number; publishedHash: string; pinned: { hash: string; from: string } | null };
}

/** Requests to the public port from four clients at once until stopped: how many, how many failed. */
function load(port: number) {
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const client = async () => {
    while (running) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/version`, {
          signal: AbortSignal.timeout(10_000),
        });
        await response.text();
        if (response.status === 200) ok++;
        else failures.push(`HTTP ${response.status}`);
      } catch (error) {
        failures.push(String(error));
      }
    }
  };
  const clients = Promise.all([client(), client(), client(), client()]);
  return {
    async stop() {
      running = false;
      await clients;
      return { ok, failures };
    },
  };
}

describe('gitpaas rollback and gitpaas logs against a running up', () => {
  let dir: string;
  let repo: DemoRepo;
  let up: Running;
  let port: number;
  let statusUrl: string;
  const hashes: string[] = [];
  const short = (hash: string | undefined) => hash?.slice(0, 7) ?? '';
  const status = async () => JSON.parse((await get(`${statusUrl}/status`))?.body ?? '{}') as Status;
  const serving = (hash: string, message: string) => waitServing(up, port, hash, message);
  const start = async () => {
    ({ up, port, statusUrl } = await startUp(dir, repo, [
      '--period=300ms',
      '--ready-timeout=10s',
      '--drain-timeout=500ms',
    ]));
  };

  beforeAll(async () => {
    ({ dir, repo } = await seededRepo());
    await start();
    hashes.push(repo.head);
    await serving(repo.head, 'the first revision to be served');
  });

  cleanUpAfter(afterAll);

  it("prints the live release's output", async () => {
    const { code, stdout, stderr } = await runCli(['logs', `--url=${statusUrl}`]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^\\S+Z out hello ${short(hashes[0])} listening on port \\d+$`, 'm'));
  });

  it('follows the output of the next release as it starts, until Ctrl-C', async () => {
    const follow = startCli(['logs', '-f', `--url=${statusUrl}`]);
    await waitFor(() => follow.stdout.includes(`hello ${short(hashes[0])} listening`), {
      message: 'the live log',
    });
    const next = await pushChange(repo, { 'message.txt': 'second\n' }, 'Second message');
    hashes.push(next);
    await serving(next, 'the second revision');
    await waitFor(() => follow.stdout.includes(`=== release 2 (${short(next)}) ===`), {
      message: 'a heading',
    });
    await waitFor(() => follow.stdout.includes(`hello ${short(next)} listening`), { message: 'its output' });
    follow.child.kill('SIGINT');
    expect(await follow.exited).toBe(0);
  });

  it('rolls back to the previous release under load with no failed request', async () => {
    const [first, second] = hashes;
    const traffic = load(port);
    const { code, stdout, stderr } = await runCli(['rollback', `--url=${statusUrl}`], { timeout: 120_000 });
    const { ok, failures } = await traffic.stop();
    console.log(`rollback under load: ${ok} requests answered 200, ${failures.length} failed`);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(
      `rolling back to ${short(first)} "The example app" (release #1) from ${short(second)}`,
    );
    expect(stdout).toMatch(new RegExp(`${short(first)} is live \\(release #3`));
    expect(await servedRevision(port)).toBe(first);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(20);
  });

  it('keeps the rollback live while the poll finds the ref where it was', async () => {
    const before = (await status()).sync.syncCount;
    await waitFor(async () => (await status()).sync.syncCount >= before + 5, { message: 'five more polls' });
    expect(await servedRevision(port)).toBe(hashes[0]);
    expect((await status()).sync.pinned).toMatchObject({ hash: hashes[0], from: hashes[1] });
    const { stdout } = await runCli(['status', `--url=${statusUrl}`]);
    expect(stdout).toContain(`Pinned   rolled back to ${short(hashes[0])} (from ${short(hashes[1])})`);
  });

  it('keeps the rollback across a restart of up', async () => {
    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
    await start();
    await serving(hashes[0]!, 'the pinned revision after a restart');
    const before = (await status()).sync.syncCount;
    await waitFor(async () => (await status()).sync.syncCount >= before + 3, { message: 'three more polls' });
    expect(await servedRevision(port)).toBe(hashes[0]);
    expect((await status()).sync.pinned?.hash).toBe(hashes[0]);
  });

  it('ends the rollback when the ref moves: the push goes live', async () => {
    const third = await pushChange(repo, { 'message.txt': 'third\n' }, 'Third message');
    hashes.push(third);
    await serving(third, 'the pushed revision');
    expect((await status()).sync.pinned).toBeNull();
  });

  it('rolls back to a named revision and --clear follows the ref again', async () => {
    const [, second, third] = hashes;
    const back = await runCli(['rollback', short(second), `--url=${statusUrl}`], { timeout: 120_000 });
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    expect(await servedRevision(port)).toBe(second);
    const cleared = await runCli(['rollback', '--clear', `--url=${statusUrl}`], { timeout: 120_000 });
    expect(cleared.stderr).toBe('');
    expect(cleared.stdout).toContain(`rollback to ${short(second)} cleared: following main again`);
    expect(cleared.stdout).toContain(`${short(third)} is live`);
    expect(await servedRevision(port)).toBe(third);
  });

  it('says why a revision cannot be rolled back to, and changes nothing', async () => {
    const prefix = await runCli(['rollback', 'deadbeef', `--url=${statusUrl}`]);
    expect(prefix.code).toBe(1);
    expect(prefix.stderr).toContain('deadbeef is not a revision kept here: give the full hash');
    const missing = await runCli(['rollback', 'de'.repeat(20), `--url=${statusUrl}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('the remote did not send it by hash');
    const usage = await runCli(['rollback', 'not-a-hash', `--url=${statusUrl}`]);
    expect(usage.code).toBe(2);
    expect(await servedRevision(port)).toBe(hashes[2]);
  });
});
