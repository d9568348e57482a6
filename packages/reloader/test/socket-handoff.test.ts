import { afterEach, describe, expect, it } from 'vitest';
import type { ReloaderOptions } from '../src/index.js';
import { ReloaderHarness } from './harness.js';
import { APP, get, hash, load, NODE, revisionOf, tenSwitchesUnderLoad } from './helpers.js';

// --socket-handoff: connections go to the live app's own process (the hook in dist/app-hook.js),
// so these tests need the package built, as the CLI tests do.
const harness = new ReloaderHarness({ readyPath: '/healthz', drainTimeout: 3000, socketHandoff: true });
afterEach(() => harness.cleanUp());
const setUp = (extra: Partial<ReloaderOptions> = {}) => harness.setUp(extra);

/** Who answered: the app itself (no X-Forwarded-For, as the client connected to it) or the proxy. */
const forwardedFor = (body: string) => (JSON.parse(body) as { forwardedFor: string | null }).forwardedFor;

async function handedOff(registry: { metrics(): Promise<string> }): Promise<number> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith('reloader_handed_off'));
  return Number(line?.split(' ')[1] ?? 0);
}

describe('socket handoff', () => {
  it('hands connections to the live app and serves every request across ten switches', async () => {
    const { layout, port, reloader, liveOn } = await setUp();
    await layout.add(hash('v0'));
    await layout.flip(hash('v0'));
    await reloader.start();
    const first = await get(port);
    expect(revisionOf(first)).toBe(hash('v0'));
    expect(forwardedFor(first.body)).toBeNull();

    // The POSTs in flight at a switch are on the old app's own connections here: it must finish
    // them before it is stopped.
    const { keepAlive, fresh } = await tenSwitchesUnderLoad(port, layout, liveOn);
    expect(keepAlive.errors).toEqual([]);
    expect(fresh.errors).toEqual([]);
    expect(keepAlive.ok).toBeGreaterThan(10);
    expect(fresh.ok).toBeGreaterThan(10);
    // Keep-alive clients moved on to new revisions too: a retired app closes its connections.
    expect(keepAlive.revisions.size).toBeGreaterThan(2);
    const last = await get(port);
    expect(revisionOf(last)).toBe(hash('v10'));
    expect(forwardedFor(last.body)).toBeNull();
    expect(await handedOff(reloader.registry)).toBeGreaterThan(fresh.ok);
  });

  it.each([
    ['it exits at start', {}, { mode: 'exit' }],
    ['it never gets ready', { readyTimeout: 5000 }, { mode: 'never-ready' }],
  ])('keeps the old revision serving when the new one fails because %s', async (_name, extra, app) => {
    const { layout, port, reloader, liveOn, endedAs } = await setUp(extra);
    await layout.add(hash('good'));
    await layout.flip(hash('good'));
    await reloader.start();

    let done = false;
    const clients = [
      load(port, { until: () => done, keepAlive: true, concurrency: 2 }),
      load(port, { until: () => done, keepAlive: false, concurrency: 2 }),
    ];
    await layout.add(hash('bad'), app);
    await layout.flip(hash('bad'));
    await endedAs(hash('bad'), 'failed');
    expect(revisionOf(await get(port))).toBe(hash('good'));

    await layout.add(hash('fixed'));
    await layout.flip(hash('fixed'));
    await liveOn(hash('fixed'));
    done = true;
    for (const result of await Promise.all(clients)) {
      expect(result.errors).toEqual([]);
      expect(result.ok).toBeGreaterThan(0);
      expect(result.revisions.has(hash('bad'))).toBe(false);
    }
    expect(revisionOf(await get(port))).toBe(hash('fixed'));
  });

  it('hands connections to a Node app started by a shell line', async () => {
    const { layout, port, reloader } = await setUp({ command: [`${NODE} ${APP}`] });
    await layout.add(hash('shell'));
    await layout.flip(hash('shell'));
    await reloader.start();
    const answer = await get(port);
    expect(revisionOf(answer)).toBe(hash('shell'));
    expect(forwardedFor(answer.body)).toBeNull();
  });

  it('proxies the connections of an app whose own process does not take them (started by a wrapper)', async () => {
    // Like `npm start`: the Node process the reloader starts is not the one listening on $PORT.
    const wrapper = `require('node:child_process').spawn(process.argv[1], [process.argv[2]], { stdio: 'inherit' }).on('exit', (code) => process.exit(code ?? 1))`;
    const { layout, port, reloader } = await setUp({ command: [NODE, '-e', wrapper, NODE, APP] });
    await layout.add(hash('wrapped'));
    await layout.flip(hash('wrapped'));
    await reloader.start();
    const answer = await get(port);
    expect(revisionOf(answer)).toBe(hash('wrapped'));
    expect(forwardedFor(answer.body)).toBe('127.0.0.1');
    expect(await handedOff(reloader.registry)).toBe(0);
  });
});
