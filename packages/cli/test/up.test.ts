import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { freePort, makeTempDir, waitFor } from '@gitpaas/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoRepo, pushChange } from '../src/demo-repo.js';
import {
  alive,
  cleanUpAfter,
  get,
  type Running,
  runCli,
  seededRepo,
  servedRevision,
  startCli,
  startUp,
} from './helpers.js';

interface StatusJson {
  reloader: {
    pid: number | null;
    current: { revision: string } | null;
    releases: Array<{ revision: string; outcome: string }>;
  };
  sync: Record<string, unknown>;
}

describe('gitpaas up against a local repository', () => {
  let repo: DemoRepo;
  let up: Running;
  let port: number;
  let statusUrl: string;
  let liveHash: string;
  const log = () => `\n--- stdout\n${up.stdout}\n--- stderr\n${up.stderr}`;

  beforeAll(async () => {
    const seeded = await seededRepo();
    repo = seeded.repo;
    ({ up, port, statusUrl } = await startUp(seeded.dir, repo, [
      '--period=300ms',
      '--ready-timeout=4s',
      '--drain-timeout=500ms',
    ]));
    await waitFor(async () => (await servedRevision(port)) === repo.head, {
      timeout: 60_000,
      message: 'the first revision to be served',
    }).catch((error: unknown) => {
      throw new Error(`${error}${log()}`);
    });
    liveHash = repo.head;
  });

  cleanUpAfter(afterAll);

  it('serves the first revision on --port and answers / and /status on --http-bind', async () => {
    expect(await servedRevision(port)).toBe(repo.head);
    expect((await get(`${statusUrl}/`))?.status).toBe(200);
    const status = JSON.parse((await get(`${statusUrl}/status`))!.body) as StatusJson;
    expect(status.reloader.current?.revision).toBe(repo.head);
    expect(status.sync).toBeTruthy();
  });

  it('puts a pushed change live', async () => {
    const hash = await pushChange(repo, { 'message.txt': 'second\n' }, 'Second message');
    await waitFor(async () => (await servedRevision(port)) === hash, {
      timeout: 60_000,
      message: 'the change to go live',
    });
    const page = await get(`http://127.0.0.1:${port}/version`);
    expect(JSON.parse(page!.body).message).toBe('second');
    liveHash = hash;
  });

  it('keeps a revision that fails its health check out, and the old one serving', async () => {
    const broken = await pushChange(
      repo,
      { 'server.js': (text) => text.replace('const healthy = true;', 'const healthy = false;') },
      'Break the health check',
    );
    const failed = await waitFor(
      async () => {
        const status = JSON.parse((await get(`${statusUrl}/status`))?.body ?? '{}') as Partial<StatusJson>;
        return status.reloader?.releases.find((r) => r.revision === broken && r.outcome === 'failed');
      },
      { timeout: 60_000, message: 'the broken release to be marked failed' },
    );
    expect(failed.outcome).toBe('failed');
    expect(await servedRevision(port)).toBe(liveHash);
  });

  it('gitpaas status prints what is live and the last releases', async () => {
    const { code, stdout, stderr } = await runCli(['status', `--url=${statusUrl}`]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`Live     ${liveHash.slice(0, 7)} Second message`);
    expect(stdout).toContain('gitpaas demo');
    expect(stdout).toMatch(/failed/);
    expect(stdout).toMatch(/live/);
    expect(stdout).not.toContain('\x1b[');
  });

  it('gitpaas status --json gives the live commit and the releases', async () => {
    const { code, stdout } = await runCli(['status', `--url=${statusUrl}`, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.live).toMatchObject({ hash: liveHash, subject: 'Second message', author: 'gitpaas demo' });
    expect(report.releases.map((r: { outcome: string }) => r.outcome)).toContain('failed');
  });

  it("gitpaas status takes up's --http-bind as is for --url, as its errors suggest", async () => {
    const port = new URL(statusUrl).port;
    for (const bind of [`127.0.0.1:${port}`, `:${port}`]) {
      const { code, stdout, stderr } = await runCli(['status', `--url=${bind}`]);
      expect(code, stderr).toBe(0);
      expect(stdout).toContain(`Live     ${liveHash.slice(0, 7)} Second message`);
    }
  });

  it('gitpaas status pointed at the app instead of up says so in one line', async () => {
    const { code, stderr } = await runCli(['status', `--url=http://127.0.0.1:${port}`]);
    expect(code).toBe(1);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/answered 404: is this the address of `gitpaas up`\?/);
  });

  it('stops on SIGTERM with the app stopped and both ports closed', async () => {
    const status = JSON.parse((await get(`${statusUrl}/status`))!.body) as StatusJson;
    const appPid = status.reloader.pid!;
    expect(alive(appPid)).toBe(true);
    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
    expect(alive(appPid)).toBe(false);
    expect(await get(`${statusUrl}/status`)).toBeUndefined();
    expect(await servedRevision(port)).toBeUndefined();
  });
});

describe('gitpaas up with credentials in the repository URL', () => {
  cleanUpAfter(afterAll);

  it('keeps the secret out of logs, status and metrics while the sync keeps failing', async () => {
    const dir = await makeTempDir('gitpaas-cli-test-');
    const statusUrl = `http://127.0.0.1:${await freePort()}`;
    // Nothing listens on port 9: every sync fails, and up retries instead of exiting.
    const up = startCli([
      'up',
      '--repo=http://deploy:s3cret-token@127.0.0.1:9/app.git',
      `--root=${join(dir, 'srv')}`,
      '--period=200ms',
      `--port=${await freePort()}`,
      `--http-bind=${statusUrl.slice('http://'.length)}`,
      '--http-metrics',
      '--',
      'node',
      'server.js',
    ]);
    const status = await waitFor(
      async () => {
        const body = (await get(`${statusUrl}/status`))?.body;
        return body && JSON.parse(body).sync.consecutiveFailures >= 2 ? body : undefined;
      },
      { timeout: 60_000, message: 'two failed syncs' },
    );
    const metrics = (await get(`${statusUrl}/metrics`))!.body;
    expect(metrics).toContain('git_sync_count_total');
    const report = await runCli(['status', `--url=${statusUrl}`]);
    expect(report.stdout).toMatch(/Error +E_GIT/);
    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
    for (const text of [status, metrics, report.stdout, up.stdout, up.stderr])
      expect(text).not.toContain('s3cret');
  });
});

describe('gitpaas up with a trigger secret', () => {
  cleanUpAfter(afterAll);

  it('serves the signed POST /sync trigger on its one HTTP server: a push goes live without waiting for the period, and is re-sent to the other replicas', async () => {
    const { dir, repo } = await seededRepo();
    const secretFile = join(dir, 'trigger-secret');
    await writeFile(secretFile, 'a-shared-secret\n');
    // Another replica, standing in: records what it is sent.
    const forwarded: Array<{ signature: unknown; marker: unknown }> = [];
    const peer = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        forwarded.push({
          signature: req.headers['x-hub-signature-256'],
          marker: req.headers['x-gitpaas-forwarded'],
        });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const peerPort = (peer.address() as AddressInfo).port;
    // An hour-long period: only the trigger can bring the second revision in time.
    const { up, port, statusUrl } = await startUp(dir, repo, ({ httpPort }) => [
      '--period=1h',
      `--trigger-secret-file=${secretFile}`,
      // Itself (skipped) and the other replica.
      `--trigger-fanout=127.0.0.1:${httpPort},127.0.0.1:${peerPort}`,
      '--http-metrics',
    ]);
    await waitFor(async () => (await servedRevision(port)) === repo.head, {
      timeout: 60_000,
      message: 'the first revision',
    });
    const hash = await pushChange(repo, { 'message.txt': 'triggered\n' }, 'Triggered change');
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const send = (signature: string) =>
      fetch(`${statusUrl}/sync`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-hub-signature-256': signature,
        },
        body,
      });
    expect((await send(`sha256=${'0'.repeat(64)}`)).status).toBe(401);
    const signature = `sha256=${createHmac('sha256', 'a-shared-secret').update(body).digest('hex')}`;
    expect((await send(signature)).status).toBe(202);
    await waitFor(async () => (await servedRevision(port)) === hash, {
      timeout: 60_000,
      message: 'the triggered revision',
    });
    await waitFor(
      async () =>
        (await get(`${statusUrl}/metrics`))?.body.includes('gitpaas_trigger_fanout_total{result="ok"} 1'),
      {
        timeout: 30_000,
        message: 'the fan-out counted',
      },
    );
    expect(forwarded).toEqual([{ signature, marker: '1' }]);
    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
    await new Promise((resolve) => peer.close(resolve));
  });
});

describe('gitpaas up with an app that ignores the stop signal', () => {
  cleanUpAfter(afterAll);

  it('exits at once on a second Ctrl-C, with the app stopped too (README)', async () => {
    const { dir, repo } = await seededRepo();
    const port = await freePort();
    const statusUrl = `http://127.0.0.1:${await freePort()}`;
    const up = startCli([
      'up',
      `--repo=file://${repo.bare}`,
      `--root=${join(dir, 'srv')}`,
      `--port=${port}`,
      '--host=127.0.0.1',
      `--http-bind=${statusUrl.slice('http://'.length)}`,
      '--ready-path=/healthz',
      // A clean stop would wait this long for the app before SIGKILL.
      '--stop-timeout=60s',
      '--',
      'node',
      '-e',
      "require('./server.js'); process.removeAllListeners('SIGTERM'); process.on('SIGTERM', () => {});",
    ]);
    await waitFor(async () => (await servedRevision(port)) === repo.head, {
      timeout: 60_000,
      message: 'the first revision to be served',
    });
    const status = JSON.parse((await get(`${statusUrl}/status`))!.body) as StatusJson;
    const appPid = status.reloader.pid!;
    up.child.kill('SIGINT');
    await waitFor(() => up.stderr.includes('stopping…'), { message: 'the clean stop to begin' });
    // The same signal within a second is taken for the first one delivered twice: wait that out.
    const firstAt = performance.now();
    await waitFor(() => performance.now() - firstAt > 1100, { message: 'a second to pass', interval: 50 });
    expect(alive(appPid)).toBe(true);
    const secondAt = performance.now();
    up.child.kill('SIGINT');
    expect(await up.exited).toBe(130);
    // "At once": far sooner than the 60 s the clean stop would wait, with room for a loaded machine.
    expect(performance.now() - secondAt).toBeLessThan(10_000);
    await waitFor(() => !alive(appPid), { timeout: 10_000, message: 'the app gone with it' });
  });
});
