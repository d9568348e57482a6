import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ReloaderOptions } from '../src/index.js';
import { ReloaderHarness } from './harness.js';
import { get, hash, load, revisionOf, tenSwitchesUnderLoad } from './helpers.js';

const harness = new ReloaderHarness({ readyPath: '/healthz', drainTimeout: 5000 });
afterEach(() => harness.cleanUp());
const setUp = (extra: Partial<ReloaderOptions> = {}) => harness.setUp(extra);

describe('handoff', () => {
  it('serves every request across ten switches, with keep-alive clients and without', async () => {
    const { layout, port, reloader, liveOn } = await setUp({ drainTimeout: 3000 });
    await layout.add(hash('v0'));
    await layout.flip(hash('v0'));
    await reloader.start();
    expect(revisionOf(await get(port))).toBe(hash('v0'));

    const { keepAlive, fresh } = await tenSwitchesUnderLoad(port, layout, liveOn);
    expect(keepAlive.errors).toEqual([]);
    expect(fresh.errors).toEqual([]);
    expect(keepAlive.ok).toBeGreaterThan(10);
    expect(fresh.ok).toBeGreaterThan(10);
    // The clients really crossed revisions, they did not just hammer one.
    expect(keepAlive.revisions.size + fresh.revisions.size).toBeGreaterThan(2);
    expect(revisionOf(await get(port))).toBe(hash('v10'));
    const status = reloader.status();
    expect(status.current?.revision).toBe(hash('v10'));
    expect(status.current?.outcome).toBe('live');
  });

  it.each([
    [
      'its build fails',
      { build: 'echo compiling; echo "error: cannot build" >&2; exit 4' },
      {},
      /^build exited with code 4: error: cannot build$/,
      'error: cannot build',
    ],
    [
      'it exits at start',
      {},
      { mode: 'exit' },
      /exited with code 3 before it was ready/,
      'boom: this revision cannot start',
    ],
    [
      'it never gets ready',
      // Long enough for the good revisions to start on a loaded machine: they have this bound too.
      { readyTimeout: 5000 },
      { mode: 'never-ready' },
      /not ready within 5s \(GET \/healthz: answered 503\)/,
      'starting',
    ],
  ])(
    'keeps the old revision serving when the new one fails because %s',
    async (_name, extra, app, reason, line) => {
      const build = (extra as { build?: string }).build;
      const { layout, port, reloader, liveOn, endedAs } = await setUp({
        ...extra,
        // The good revisions build fine; only the bad one runs the failing script.
        ...(build ? { build: `if [ -f bad ]; then ${build}; fi` } : {}),
      });
      await layout.add(hash('good'));
      await layout.flip(hash('good'));
      await reloader.start();

      let done = false;
      const client = load(port, { until: () => done, keepAlive: true, concurrency: 2 });
      await layout.add(hash('bad'), app, build ? { bad: '' } : {});
      await layout.flip(hash('bad'));
      const failed = await endedAs(hash('bad'), 'failed');
      expect(failed.reason).toMatch(reason);
      expect(failed.lastOutput?.join('\n')).toContain(line);
      expect(revisionOf(await get(port))).toBe(hash('good'));

      // The next revision is tried normally.
      await layout.add(hash('fixed'));
      await layout.flip(hash('fixed'));
      await liveOn(hash('fixed'));
      done = true;
      const result = await client;
      expect(result.errors).toEqual([]);
      expect(result.revisions.has(hash('bad'))).toBe(false);
      expect(revisionOf(await get(port))).toBe(hash('fixed'));
    },
  );

  it('keeps a websocket open through the switch and closes it cleanly when the drain ends', async () => {
    const { layout, port, reloader, liveOn } = await setUp({ drainTimeout: 1500 });
    await layout.add(hash('ws1'), { gracefulTerm: true });
    await layout.flip(hash('ws1'));
    await reloader.start();

    const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
    const messages: string[] = [];
    socket.on('message', (data) => messages.push(String(data)));
    const closed = new Promise<number>((done) => socket.on('close', (code) => done(code)));
    await new Promise((done, fail) => socket.once('open', done).once('error', fail));
    socket.send('before');
    await waitFor(() => messages.includes(`${hash('ws1')}:before`), { message: 'echo before the switch' });

    await layout.add(hash('ws2'));
    await layout.flip(hash('ws2'));
    await liveOn(hash('ws2'));
    // The old child still serves its websocket during the drain…
    socket.send('during');
    await waitFor(() => messages.includes(`${hash('ws1')}:during`), { message: 'echo during the drain' });
    // …while new connections reach the new child.
    const fresh = new WebSocket(`ws://127.0.0.1:${port}/`);
    const freshEcho = new Promise<string>((done) => fresh.once('message', (data) => done(String(data))));
    await new Promise((done, fail) => fresh.once('open', done).once('error', fail));
    fresh.send('hello');
    expect(await freshEcho).toBe(`${hash('ws2')}:hello`);
    fresh.close();

    // At the end of the drain the old child is stopped and closes with 1001 "going away".
    expect(await closed).toBe(1001);
  });

  it('logs a listener that throws and carries on: the release goes live, and the next one too', async () => {
    const errors: string[] = [];
    const quiet = () => {};
    const logger = { debug: quiet, info: quiet, warn: quiet, error: (msg: string) => errors.push(msg) };
    const { layout, port, reloader, liveOn } = await setUp({ logger });
    reloader.on('switch', () => {
      throw new Error('a bug in the listener');
    });
    await layout.add(hash('l1'));
    await layout.flip(hash('l1'));
    await reloader.start();
    await liveOn(hash('l1'));
    expect(revisionOf(await get(port))).toBe(hash('l1'));
    await layout.add(hash('l2'));
    await layout.flip(hash('l2'));
    await liveOn(hash('l2'));
    await waitFor(async () => revisionOf(await get(port)) === hash('l2'), { message: 'l2 serving' });
    expect(reloader.status().current).toMatchObject({ revision: hash('l2'), outcome: 'live' });
    expect(errors).toEqual([
      "a 'switch' listener threw; carrying on",
      "a 'switch' listener threw; carrying on",
    ]);
  });

  it('retries the first start with backoff while nothing works, then runs the next good revision', async () => {
    const { layout, port, reloader, releases, liveOn } = await setUp();
    const failedAt: number[] = [];
    reloader.on('release', (release) => {
      if (release.outcome === 'failed') failedAt.push(performance.now());
    });
    await layout.add(hash('broken'), { mode: 'exit' });
    await layout.flip(hash('broken'));
    await reloader.start();
    expect((await get(port)).status).toBe(502);
    await waitFor(() => releases.filter((release) => release.outcome === 'failed').length >= 2, {
      message: 'a retry of the first start',
    });
    // README: retried after 1 s (doubling to 30 s), so never in a busy loop.
    expect(failedAt[1]! - failedAt[0]!).toBeGreaterThanOrEqual(950);
    await layout.add(hash('works'));
    await layout.flip(hash('works'));
    await liveOn(hash('works'));
    expect(revisionOf(await get(port))).toBe(hash('works'));
  });

  it('restarts a crashed app after a short backoff', async () => {
    const { layout, port, reloader } = await setUp();
    const crashes: number[] = [];
    let crashedAt = 0;
    reloader.on('crash', (event) => {
      crashes.push(event.restartInMs);
      crashedAt = performance.now();
    });
    await layout.add(hash('fragile'));
    await layout.flip(hash('fragile'));
    await reloader.start();
    const firstPid = reloader.status().pid;
    await get(port, '/crash');
    await waitFor(() => reloader.status().pid && reloader.status().pid !== firstPid, {
      message: 'a restarted app',
      interval: 10,
    });
    // README: restarted after 0.5 s (the first step of the backoff), not at once and not much later.
    const restartMs = performance.now() - crashedAt;
    expect(restartMs).toBeGreaterThanOrEqual(450);
    expect(restartMs).toBeLessThan(500 + 10_000);
    expect(revisionOf(await get(port))).toBe(hash('fragile'));
    expect(crashes).toEqual([500]);
    expect(reloader.status().current?.outcome).toBe('live');
  });

  it('holds requests while a crashed app restarts, so none fails', async () => {
    const { layout, port, reloader } = await setUp();
    await layout.add(hash('crashy'));
    await layout.flip(hash('crashy'));
    await reloader.start();
    const firstPid = reloader.status().pid;
    const crashed = new Promise<void>((done) => reloader.on('crash', () => done()));

    let done = false;
    const clients = [
      load(port, { until: () => done, keepAlive: true, concurrency: 3 }),
      load(port, { until: () => done, keepAlive: false, concurrency: 2 }),
    ];
    await waitFor(() => reloader.registry.getSingleMetric('reloader_proxied_requests_total'), {
      message: 'the load running',
    });
    await get(port, '/crash');
    await crashed;
    // Sent while nothing listens: a POST is never retried, so it must wait for the restart; so
    // must a websocket upgrade.
    const post = get(port, '/', false, 'order during the restart');
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
    const echo = new Promise<string>((done) => socket.once('message', (data) => done(String(data))));
    const opened = new Promise((done, fail) => socket.once('open', done).once('error', fail));
    await waitFor(() => reloader.status().pid && reloader.status().pid !== firstPid, {
      message: 'the restarted app',
    });
    const answered = await post;
    expect(answered.status).toBe(200);
    expect(revisionOf(answered)).toBe(hash('crashy'));
    await opened;
    socket.send('back');
    expect(await echo).toBe(`${hash('crashy')}:back`);
    socket.close();
    // Keep the load going a little on the restarted app, then stop it.
    const after = reloader.status().pid;
    await waitFor(async () => JSON.parse((await get(port)).body).pid === after, {
      message: 'the new pid serving',
    });
    done = true;
    for (const result of await Promise.all(clients)) {
      expect(result.errors).toEqual([]);
      expect(result.ok).toBeGreaterThan(0);
    }
  });

  it('answers a held request 502 once the restart of a crashed app takes longer than its bound', async () => {
    const { layout, port, reloader } = await setUp({ readyTimeout: 1500 });
    const dir = await layout.add(hash('stuck'));
    await layout.flip(hash('stuck'));
    await reloader.start();
    // From now on this release dir starts an app that never gets ready.
    await writeFile(join(dir, 'app.json'), JSON.stringify({ mode: 'never-ready' }));
    const crashed = new Promise<void>((done) => reloader.on('crash', () => done()));
    await get(port, '/crash');
    await crashed;
    const answer = await get(port);
    expect(answer.status).toBe(502);
    expect(answer.body).toMatch(/the app is restarting after a crash and was not back in time/);
    // Later requests are told the same while the restarts keep failing.
    expect((await get(port)).body).toMatch(/the app is restarting after a crash/);
  });

  it('holds a POST whose connection the dying app refused, and sends it to the restarted app', async () => {
    const { layout, port, reloader } = await setUp();
    await layout.add(hash('unlisten'));
    await layout.flip(hash('unlisten'));
    await reloader.start();
    const firstPid = reloader.status().pid;
    expect((await get(port, '/unlisten')).body).toBe('bye');
    // The app refuses connections but has not exited yet: nothing of the POST reached it.
    const answer = await get(port, '/', false, 'order while the app stops listening');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).pid).not.toBe(firstPid);
  });

  it('answers 503 to a request still held for a restart when the reloader stops', async () => {
    const { layout, port, reloader } = await setUp({ readyTimeout: 60_000 });
    const dir = await layout.add(hash('halting'));
    await layout.flip(hash('halting'));
    await reloader.start();
    await writeFile(join(dir, 'app.json'), JSON.stringify({ mode: 'never-ready' }));
    const output: string[] = [];
    reloader.on('output', (event) => output.push(event.line));
    const crashed = new Promise<void>((done) => reloader.on('crash', () => done()));
    await get(port, '/crash');
    await crashed;
    const held = get(port);
    // The restart (after a 500 ms backoff) is under way, so the request sent before it is held.
    await waitFor(() => output.some((line) => line.startsWith('starting ')), { message: 'the restart' });
    await reloader.stop();
    const answer = await held;
    expect(answer.status).toBe(503);
    expect(answer.body).toBe('the server is stopping\n');
  });

  it('backs off exponentially, marks a crash-looping revision failed and rolls back to the previous one', async () => {
    const { layout, port, reloader, endedAs, switches } = await setUp({ drainTimeout: 500 });
    const crashes: Array<{ code: number | null; restartInMs: number }> = [];
    reloader.on('crash', ({ code, restartInMs }) => crashes.push({ code, restartInMs }));
    await layout.add(hash('steady'));
    await layout.flip(hash('steady'));
    await reloader.start();
    await layout.add(hash('looping'), { mode: 'crash' });
    await layout.flip(hash('looping'));
    const failed = await endedAs(hash('looping'), 'failed');
    expect(failed.reason).toBe('crash-looping: exited with code 5 5 times in a row');
    expect(failed.lastOutput?.join('\n')).toContain(`starting ${hash('looping')}`);
    // Backoff grows instead of burning the CPU.
    expect(crashes.slice(0, 5)).toEqual(
      [500, 1000, 2000, 4000, 8000].map((restartInMs) => ({ code: 5, restartInMs })),
    );

    // The previous revision's directory is still there: it runs again, the link is left alone.
    await waitFor(() => switches.filter((release) => release.revision === hash('steady')).length === 2, {
      message: 'the rollback',
      timeout: 60_000,
    });
    expect(switches.at(-1)?.reason).toBe(`rollback: ${hash('looping').slice(0, 7)} was crash-looping`);
    expect(revisionOf(await get(port))).toBe(hash('steady'));
  }, 150_000);
});
