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
  it('probes --ready-path every 10 ms for the first second, then slows to 150 ms: quick to notice, never a busy loop', async () => {
    const probes: number[] = [];
    server = createServer((_req, res) => {
      probes.push(performance.now());
      res.writeHead(probes.at(-1)! - probes[0]! >= 3000 ? 200 : 503).end();
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
    const within = (fromMs: number, toMs: number) =>
      probes.filter((t) => t - probes[0]! >= fromMs && t - probes[0]! < toMs).length;
    // The schedule (every 10 ms for a second, then × 1.25 per probe up to 150 ms) allows 100
    // probes in the first second and 7 in the third; a loaded machine only makes them fewer.
    expect(within(0, 1000)).toBeLessThanOrEqual(101);
    expect(within(2000, 3000)).toBeLessThanOrEqual(8);
    // Never a busy loop: a pause of 10 ms at least between probes (1 ms of timer rounding).
    const gaps = probes.slice(1).map((t, i) => t - probes[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(9);
    // Quick at first: the second probe follows the first after 10 ms (a wide margin for load).
    expect(probes[1]! - probes[0]!).toBeLessThan(10 + 1000);
  });
});
