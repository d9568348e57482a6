import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { freePort, makeTempDir, waitFor } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { DashboardState, ReleaseView, ReloaderOptions } from '../src/index.js';
import { ReloaderHarness } from './harness.js';
import { hash } from './helpers.js';

const harness = new ReloaderHarness({ drainTimeout: 1000 });
const servers: Server[] = [];
afterEach(async () => {
  await harness.cleanUp();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
});

/** A reloader with a state dir and --http-bind, running `first`. */
async function running(first: string, extra: Partial<ReloaderOptions> = {}) {
  const httpPort = await freePort();
  const stateDir = await makeTempDir('reloader-state-');
  const setUp = await harness.setUp({ httpBind: `127.0.0.1:${httpPort}`, stateDir, ...extra });
  await setUp.layout.add(first);
  await setUp.layout.flip(first);
  await setUp.reloader.start();
  const base = `http://127.0.0.1:${httpPort}`;
  return { ...setUp, base };
}

async function json(url: string): Promise<DashboardState> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as DashboardState;
}

/** A streaming GET: everything received so far, and how to stop it. */
function stream(url: string): { text(): string; close(): void } {
  let text = '';
  const req = request(url, (res: IncomingMessage) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      text += chunk;
    });
  });
  req.on('error', () => {});
  req.end();
  return { text: () => text, close: () => req.destroy() };
}

describe('the dashboard on --http-bind', () => {
  it('serves one page, gzipped, that may run only its own script and style', async () => {
    const { base } = await running(hash('v1'), { stateDir: undefined });
    const response = await fetch(`${base}/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toMatch(
      /default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'; connect-src 'self'/,
    );
    const html = await response.text();
    expect(html).toContain('<title>gitpaas</title>');
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="(?!data:)/);
    const raw = await new Promise<Buffer>((done) =>
      request(`${base}/`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(Buffer.concat(chunks)));
      }).end(),
    );
    expect(gunzipSync(raw).toString()).toBe(html);
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
  });

  it('shows the live release, how long each step took, and why a release failed', async () => {
    const { base, layout, endedAs } = await running(hash('good'));
    await layout.add(hash('broken'), { mode: 'exit' });
    await layout.flip(hash('broken'));
    await endedAs(hash('broken'), 'failed');
    const state = await json(`${base}/api/state`);
    expect(state).toMatchObject({
      mode: 'revision',
      live: { revision: hash('good'), release: 1, pid: expect.any(Number) },
      sync: null,
      actions: { sync: false, rollback: false },
    });
    const [broken, good] = state.releases as [ReleaseView, ReleaseView];
    expect(broken).toMatchObject({ revision: hash('broken'), outcome: 'failed', reason: expect.any(String) });
    expect(broken.lastOutput?.join('\n')).toContain('boom: this revision cannot start');
    expect(good.phases).toMatchObject({
      startMs: expect.any(Number),
      readyMs: expect.any(Number),
      switchMs: expect.any(Number),
      totalMs: expect.any(Number),
    });
    expect(good.phases.totalMs).toBeGreaterThanOrEqual(good.phases.readyMs!);
  });

  it('tells a listening page when a release changes', async () => {
    const { base, layout, liveOn } = await running(hash('one'));
    const events = stream(`${base}/events`);
    await waitFor(() => events.text().includes('event: hello'), { message: 'hello' });
    await layout.add(hash('two'));
    await layout.flip(hash('two'));
    await liveOn(hash('two'));
    await waitFor(() => /event: release\ndata: \{"id":2,"outcome":"live"\}/.test(events.text()), {
      message: 'a release event',
    });
    events.close();
  });

  it("prints a release's output and follows the next releases live", async () => {
    const { base, layout, liveOn } = await running(hash('first'));
    await waitFor(async () => (await fetch(`${base}/logs?release=1`)).status === 200, { message: 'a log' });
    expect(await (await fetch(`${base}/logs?release=1`)).text()).toMatch(
      new RegExp(`Z out starting ${hash('first')} pid \\d+\\n`),
    );
    const follow = stream(`${base}/logs?follow=1`);
    await waitFor(() => follow.text().includes(`=== release 1 (${hash('first').slice(0, 7)}) ===`), {
      message: 'the live release first',
    });
    await layout.add(hash('second'));
    await layout.flip(hash('second'));
    await liveOn(hash('second'));
    await waitFor(() => follow.text().includes(`=== release 2 (${hash('second').slice(0, 7)}) ===`), {
      message: 'the next release followed',
    });
    await waitFor(() => follow.text().includes(`out starting ${hash('second')}`), { message: 'its output' });
    follow.close();
    expect((await fetch(`${base}/logs?release=abc`)).status).toBe(400);
    expect((await fetch(`${base}/logs?release=99`)).status).toBe(404);
  });
});

describe('--sync-url: git-sync in a container of its own', () => {
  /** Stands in for git-sync's HTTP server: serves a status, records what it is sent. */
  async function fakeGitSync() {
    const received: Array<{
      method?: string;
      url?: string;
      body: string;
      headers: IncomingMessage['headers'];
    }> = [];
    const status = {
      repo: 'https://github.com/acme/app.git',
      ref: 'main',
      publishedHash: hash('one'),
      pinned: null as unknown,
    };
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        if (req.url === '/status') return void res.end(JSON.stringify(status));
        received.push({ method: req.method, url: req.url, body, headers: req.headers });
        res
          .writeHead(409, { 'content-type': 'application/json' })
          .end('{"outcome":"error","code":"E_ROLLBACK_REJECTED"}');
      });
    });
    servers.push(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, status };
  }

  it("shows git-sync's status, and relays what changes state with the caller named", async () => {
    const gitSync = await fakeGitSync();
    const { base } = await running(hash('one'), { syncUrl: gitSync.url });
    const state = await json(`${base}/api/state`);
    expect(state).toMatchObject({
      sync: { repo: 'https://github.com/acme/app.git', publishedHash: hash('one') },
      actions: { sync: true, rollback: true },
      live: { url: `https://github.com/acme/app/commit/${hash('one')}` },
    });
    const answer = await fetch(`${base}/rollback`, {
      method: 'POST',
      body: '{"revision":"abc1234"}',
      headers: { 'x-gitpaas-signature': 'sha256=feed', 'x-forwarded-for': '198.51.100.7' },
    });
    expect(answer.status).toBe(409);
    expect(await answer.json()).toEqual({ outcome: 'error', code: 'E_ROLLBACK_REJECTED' });
    expect(gitSync.received[0]).toMatchObject({
      method: 'POST',
      url: '/rollback',
      body: '{"revision":"abc1234"}',
      headers: { 'x-gitpaas-signature': 'sha256=feed', 'x-forwarded-for': '198.51.100.7, 127.0.0.1' },
    });
    await fetch(`${base}/sync`, { method: 'POST' });
    await fetch(`${base}/rollback`, { method: 'DELETE' });
    expect(gitSync.received.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /rollback',
      'POST /sync',
      'DELETE /rollback',
    ]);
  });

  it('tells a listening page when the sync changes', async () => {
    const gitSync = await fakeGitSync();
    const { base } = await running(hash('one'), { syncUrl: gitSync.url });
    const events = stream(`${base}/events`);
    await waitFor(() => events.text().includes('event: hello'), { message: 'hello' });
    // The first poll learns the status; a rollback elsewhere changes it.
    await waitFor(() => events.text().includes('event: sync'), { message: 'first sync event' });
    const seen = events.text().split('event: sync').length;
    gitSync.status.pinned = { hash: hash('zero'), from: hash('one') };
    await waitFor(() => events.text().split('event: sync').length > seen, { message: 'a sync event' });
    events.close();
  });

  it('refuses a --sync-url that is not an address, naming the flag', async () => {
    await expect(harness.setUp({ syncUrl: 'ftp://nowhere' })).rejects.toMatchObject({
      message: expect.stringContaining('--sync-url'),
    });
  });
});
