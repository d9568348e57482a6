import { readFile, realpath } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanUpSyncs,
  listen,
  makeSync,
  memoryLogger,
  runBin,
  script,
  stopAfterTest,
  syncFixture,
  waitFor,
} from '../test/helpers/index.js';
import type { GitSync } from './index.js';

afterEach(cleanUpSyncs);

async function hookCounts(gs: GitSync) {
  const metric = await gs.registry.getSingleMetric('git_sync_hook_run_count_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [`${v.labels.name}/${v.labels.status}`, v.value]));
}

describe('hooks through the sync loop', () => {
  it('retries a failing exec hook in the published worktree until it succeeds', async () => {
    const { dir, remote, root } = await syncFixture();
    const log = join(dir, 'hook.log');
    const hook = await script(
      dir,
      'hook',
      `n=$(cat ${dir}/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/n
echo "$n $GITSYNC_HASH $(pwd -P)" >> ${log}; [ $n -ge 3 ]`,
    );
    const gs = makeSync({
      repo: remote.url,
      root,
      ref: 'main',
      period: 3_600_000,
      exechookCommand: hook,
      exechookBackoff: 1000,
    });
    await gs.start();
    const hash = await remote.hash();
    await waitFor(async () => (await hookCounts(gs))['exechook/success'] === 1, {
      message: 'the exec hook to succeed',
    });
    const worktree = await realpath(join(dir, 'root', '.worktrees', hash));
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([
      `1 ${hash} ${worktree}`,
      `2 ${hash} ${worktree}`,
      `3 ${hash} ${worktree}`,
    ]);
    expect(await hookCounts(gs)).toEqual({ 'exechook/error': 2, 'exechook/success': 1 });
  });

  it('calls the webhook again after a receiver fails twice, with the published hash', async () => {
    const { remote, root } = await syncFixture();
    const calls: IncomingHttpHeaders[] = [];
    const receiver = await listen((req, res) => {
      calls.push(req.headers);
      req.resume();
      res.writeHead(calls.length <= 2 ? 502 : 200).end();
    });
    stopAfterTest(receiver.close);
    const gs = makeSync({
      repo: remote.url,
      root,
      ref: 'main',
      period: 3_600_000,
      webhookUrl: `${receiver.url}/deployed`,
      webhookBackoff: 1000,
    });
    await gs.start();
    const hash = await remote.hash();
    await waitFor(async () => (await hookCounts(gs))['webhook/success'] === 1, {
      message: 'the webhook to succeed',
    });
    expect(calls.map((h) => h['gitsync-hash'])).toEqual([hash, hash, hash]);
    expect(await hookCounts(gs)).toEqual({ 'webhook/error': 2, 'webhook/success': 1 });
  });
});

describe('hooks with --one-time and secrets', () => {
  it('--one-time waits for the exec hook and exits non-zero when its first attempt fails', async () => {
    const { dir, remote } = await syncFixture();
    const ok = await script(dir, 'ok', `echo "$GITSYNC_HASH" > ${dir}/ran`);
    const fails = await script(dir, 'fails', 'echo "migration failed"; exit 3');
    const args = (root: string, hook: string) => [
      ...['--repo', remote.url, '--root', join(dir, root), '--ref', 'main', '--one-time'],
      ...['--exechook-command', hook],
    ];
    const good = await runBin(args('root-ok', ok));
    expect(good.exitCode).toBe(0);
    expect((await readFile(join(dir, 'ran'), 'utf8')).trim()).toBe(await remote.hash());
    const bad = await runBin(args('root-fails', fails));
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain(`exechook failed for ${await remote.hash()}: ${fails} exited with code 3`);
  });

  it('logs what a failing hook printed with secrets redacted', async () => {
    const { dir, remote, root } = await syncFixture();
    const secret = 's3cret-T0ken-4e9f';
    const receiver = await listen((req, res) => {
      req.resume();
      res.writeHead(200).end();
    });
    stopAfterTest(receiver.close);
    const hook = await script(
      dir,
      'hook',
      `n=$(cat ${dir}/n 2>/dev/null || echo 0); echo $((n+1)) > ${dir}/n
echo "calling https://deploy:${secret}@example.com/"; [ $n -ge 1 ]`,
    );
    const logger = memoryLogger();
    const gs = makeSync({
      repo: remote.url,
      root,
      ref: 'main',
      period: 3_600_000,
      exechookCommand: hook,
      exechookBackoff: 1000,
      webhookUrl: receiver.url.replace('http://', `http://deploy:${secret}@`),
      httpMetrics: true,
      logger,
    });
    await gs.start();
    await waitFor(async () => (await hookCounts(gs))['exechook/success'] === 1, {
      message: 'the hook to succeed',
    });
    await waitFor(async () => (await hookCounts(gs))['webhook/success'] === 1, { message: 'the webhook' });
    const logs = logger.lines.join('\n');
    expect(logs).toContain('calling https://deploy:');
    expect(logs).not.toContain(secret);
    expect(JSON.stringify(gs.status())).not.toContain(secret);
    expect(await gs.registry.metrics()).not.toContain(secret);
  });
});
