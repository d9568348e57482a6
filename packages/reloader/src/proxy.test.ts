import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveOptions } from './options.js';
import { HandoffProxy } from './proxy.js';

const hooks = { onResponse: () => {}, onError: () => {}, onHandedOff: () => {} };
let proxy: HandoffProxy | undefined;
afterEach(async () => {
  const closed = proxy?.close();
  proxy?.closeAll();
  await closed;
  proxy = undefined;
});

describe('the public port', () => {
  it('keeps an idle client connection 65 s by default, longer than a load balancer in front, and says so', async () => {
    const { keepAliveTimeout } = resolveOptions({ command: ['node', 'server.js'] });
    expect(keepAliveTimeout).toBe(65_000);
    proxy = new HandoffProxy(hooks, keepAliveTimeout);
    const { server } = proxy;
    expect(server.keepAliveTimeout).toBe(65_000);
    // Node closes it a second after the announced timeout; waiting for headers must not cut it sooner.
    expect(server.headersTimeout).toBeGreaterThan(66_000);
    expect(server.requestTimeout).toBeGreaterThanOrEqual(server.headersTimeout);
    await proxy.listen(0, '127.0.0.1');
    const { port } = server.address() as AddressInfo;
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        resolve(res.headers);
      });
      req.on('error', reject);
      req.end();
    });
    expect(headers['keep-alive']).toBe('timeout=65');
  });
});
