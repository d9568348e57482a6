import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpSyncs, makeSync, syncFixture, waitFor } from '../test/helpers/index.js';
import type { GitSyncStatus } from './index.js';

afterEach(cleanUpSyncs);

describe('HTTP', () => {
  it('answers / with 503 until the first sync, then 200; serves /status and /metrics', async () => {
    const { dir, remote, root } = await syncFixture();
    const badRepo = `file://${join(dir, 'not-yet.git')}`;
    // Starts against a missing repo (so / stays 503), then the repo appears at that path.
    const gitSync = makeSync({
      repo: badRepo,
      root,
      link: 'app',
      httpBind: '127.0.0.1:0',
      httpMetrics: true,
      period: 50,
    });
    await gitSync.start();
    const base = `http://127.0.0.1:${gitSync.httpAddress()!.port}`;
    expect((await fetch(`${base}/`)).status).toBe(503);
    await waitFor(() => gitSync.status().consecutiveFailures > 0);
    const { rename } = await import('node:fs/promises');
    await rename(remote.bare, join(dir, 'not-yet.git'));
    await waitFor(async () => (await fetch(`${base}/`)).status === 200, { message: 'GET / to turn 200' });

    const status = (await (await fetch(`${base}/status`)).json()) as GitSyncStatus;
    expect(status).toMatchObject({
      repo: badRepo,
      ref: 'HEAD',
      ready: true,
      publishedHash: expect.stringMatching(/^[0-9a-f]{40}$/),
      consecutiveFailures: 0,
      lastSyncAt: expect.any(String),
      lastSyncDurationMs: expect.any(Number),
    });
    expect(status.revisions[0]?.hash).toBe(status.publishedHash);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/git_sync_count_total\{status="success"\} [1-9]/);
    expect(metrics).toMatch(/git_sync_count_total\{status="error"\} [1-9]/);
    expect(metrics).toContain('git_sync_duration_seconds');
    expect(metrics).toMatch(/git_fetch_count_total [1-9]/);
    expect(metrics).toContain('gitpaas_git_sync_errors_total{code="E_GIT_LS_REMOTE"}');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/status`, { method: 'DELETE' })).status).toBe(405);
  });

  it('has no /metrics without httpMetrics and mounts on a shared server via handleHttp', async () => {
    const { remote, root } = await syncFixture();
    const gitSync = makeSync({ repo: remote.url, root });
    const server = createServer((req, res) => {
      if (gitSync.handleHttp(req, res)) return;
      res.writeHead(418);
      res.end('mine');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await fetch(`${base}/metrics`)).status).toBe(418);
      expect((await fetch(`${base}/`)).status).toBe(503);
      await gitSync.start();
      await gitSync.syncNow();
      expect((await fetch(`${base}/`)).status).toBe(200);
      expect((await fetch(`${base}/status`)).status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
