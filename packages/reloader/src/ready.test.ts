import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitReady } from './ready.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

describe('readiness', () => {
  it('probes --ready-path every 10 ms at first, slowing to 150 ms: quick to notice, never a busy loop', async () => {
    const probes: number[] = [];
    server = createServer((_req, res) => {
      probes.push(performance.now());
      res.writeHead(probes.length >= 25 ? 200 : 503).end();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await waitReady({
      port,
      path: '/healthz',
      timeoutMs: 60_000,
      exited: new Promise(() => {}),
      signal: new AbortController().signal,
    });
    expect(probes).toHaveLength(25);
    const within = (fromMs: number, toMs: number) =>
      probes.filter((t) => t - probes[0]! >= fromMs && t - probes[0]! < toMs).length;
    // The schedule (10 ms × 1.25 per probe, at most 150 ms) allows 13 probes in the first 600 ms
    // and 8 in any later second; a loaded machine only makes them fewer.
    expect(within(0, 600)).toBeLessThanOrEqual(14);
    expect(within(1000, 2000)).toBeLessThanOrEqual(9);
    // Quick at first: the second probe follows the first after 10 ms (a wide margin for load).
    expect(probes[1]! - probes[0]!).toBeLessThan(10 + 1000);
  });
});
