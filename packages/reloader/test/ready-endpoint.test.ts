import { freePort } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { ReloaderHarness } from './harness.js';
import { get, hash } from './helpers.js';

const harness = new ReloaderHarness({ drainTimeout: 1000 });
afterEach(() => harness.cleanUp());

describe('GET /ready (a readiness probe for any app)', () => {
  it('answers 503 while no release is live and 200 once one is', async () => {
    const statusPort = await freePort();
    const { layout, reloader, liveOn } = await harness.setUp({ httpBind: `127.0.0.1:${statusPort}` });
    await layout.add(hash('bad'), { mode: 'exit' });
    await layout.flip(hash('bad'));
    await reloader.start();
    const before = await get(statusPort, '/ready');
    expect(before.status).toBe(503);
    expect(before.body).toBe('no release is live yet\n');

    await layout.add(hash('good'));
    await layout.flip(hash('good'));
    await liveOn(hash('good'));
    const after = await get(statusPort, '/ready');
    expect(after.status).toBe(200);
    expect(after.body).toMatch(/^live: release \d+\n$/);
  });
});
