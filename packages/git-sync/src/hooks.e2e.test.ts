import { readFile, realpath } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestRemote } from '../test/helpers/index.js';
import { listen, removeTempDirs, script, type TestServer, tempDir, waitFor } from './hooks.test-helpers.js';
import { createGitSync, type GitSync } from './index.js';

const running: GitSync[] = [];
let receiver: TestServer | undefined;
afterEach(async () => {
  await Promise.all(running.splice(0).map((gs) => gs.stop()));
  await receiver?.close();
  receiver = undefined;
  await removeTempDirs();
});

async function hookCounts(gs: GitSync) {
  const metric = await gs.registry.getSingleMetric('git_sync_hook_run_count_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [`${v.labels.name}/${v.labels.status}`, v.value]));
}

describe('hooks through the sync loop', () => {
  it('retries a failing exec hook in the published worktree until it succeeds', async () => {
    const dir = await tempDir();
    const remote = await TestRemote.create(dir);
    const log = join(dir, 'hook.log');
    const hook = await script(
      dir,
      'hook',
      `n=$(cat ${dir}/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/n
echo "$n $GITSYNC_HASH $(pwd -P)" >> ${log}; [ $n -ge 3 ]`,
    );
    const gs = createGitSync({
      repo: remote.url,
      root: join(dir, 'root'),
      ref: 'main',
      period: 3_600_000,
      exechookCommand: hook,
      exechookBackoff: 1000,
    });
    running.push(gs);
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
    const dir = await tempDir();
    const remote = await TestRemote.create(dir);
    const calls: IncomingHttpHeaders[] = [];
    receiver = await listen((req, res) => {
      calls.push(req.headers);
      req.resume();
      res.writeHead(calls.length <= 2 ? 502 : 200).end();
    });
    const gs = createGitSync({
      repo: remote.url,
      root: join(dir, 'root'),
      ref: 'main',
      period: 3_600_000,
      webhookUrl: `${receiver.url}/deployed`,
      webhookBackoff: 1000,
    });
    running.push(gs);
    await gs.start();
    const hash = await remote.hash();
    await waitFor(async () => (await hookCounts(gs))['webhook/success'] === 1, {
      message: 'the webhook to succeed',
    });
    expect(calls.map((h) => h['gitsync-hash'])).toEqual([hash, hash, hash]);
    expect(await hookCounts(gs)).toEqual({ 'webhook/error': 2, 'webhook/success': 1 });
  });
});
