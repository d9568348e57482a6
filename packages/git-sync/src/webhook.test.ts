import type { IncomingHttpHeaders } from 'node:http';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { listen, type TestServer, waitFor } from '../test/helpers/index.js';
import { type HookRunEvent, HookRunner, hookRunCounter } from './hooks.js';
import { createWebhook, displayUrl } from './webhook.js';

const A = '1'.repeat(40);

interface Received {
  method: string;
  headers: IncomingHttpHeaders;
}

describe('webhook', () => {
  let receiver: TestServer | undefined;
  const runners: HookRunner[] = [];

  /** A receiver that answers each request with the next status in `statuses` (the last one repeats). */
  async function receive(statuses: number[]) {
    const received: Received[] = [];
    receiver = await listen((req, res) => {
      received.push({ method: req.method ?? '', headers: req.headers });
      req.resume();
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      if (status === 0) return; // never answers
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`status ${status}`);
    });
    return received;
  }

  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
    await receiver?.close();
    receiver = undefined;
  });

  it('retries a receiver that fails twice, then stops at its first success', async () => {
    const received = await receive([500, 503, 200]);
    const registry = new Registry();
    const runner = new HookRunner(
      createWebhook({
        url: `${receiver!.url}/deployed`,
        method: 'POST',
        successStatus: 200,
        timeoutMs: 5000,
      }),
      { backoffMs: 50, counter: hookRunCounter(registry) },
    );
    runners.push(runner);
    const events: HookRunEvent[] = [];
    runner.on('run', (e) => events.push(e));
    runner.send(A);
    await waitFor(() => events.some((e) => e.ok), { message: 'a delivered webhook' });
    await runner.idle();
    expect(received.map((r) => [r.method, r.headers['gitsync-hash']])).toEqual([
      ['POST', A],
      ['POST', A],
      ['POST', A],
    ]);
    expect(events.map((e) => e.ok)).toEqual([false, false, true]);
    expect(events[0]!.reason).toBe(`webhook POST ${receiver!.url}/deployed answered 500, expected 200`);
    expect(events[0]!.output).toEqual(['status 500']);
    const metric = await registry.getSingleMetric('git_sync_hook_run_count_total')!.get();
    expect(Object.fromEntries(metric.values.map((v) => [v.labels.status, v.value]))).toEqual({
      error: 2,
      success: 1,
    });
  });

  it('uses the configured method and success status', async () => {
    const received = await receive([200, 204]);
    const hook = createWebhook({ url: receiver!.url, method: 'PUT', successStatus: 204, timeoutMs: 5000 });
    const signal = new AbortController().signal;
    expect((await hook.run(A, signal)).ok).toBe(false);
    expect((await hook.run(A, signal)).ok).toBe(true);
    expect(received.map((r) => r.method)).toEqual(['PUT', 'PUT']);
  });

  it('with success status 0 accepts any answer (fire and forget)', async () => {
    await receive([500]);
    const hook = createWebhook({ url: receiver!.url, method: 'POST', successStatus: 0, timeoutMs: 5000 });
    expect((await hook.run(A, new AbortController().signal)).ok).toBe(true);
  });

  it('fails a receiver that does not answer within the timeout', async () => {
    await receive([0]);
    const hook = createWebhook({ url: receiver!.url, method: 'POST', successStatus: 200, timeoutMs: 300 });
    const result = await hook.run(A, new AbortController().signal);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('no answer within 300 ms') });
  });

  it('sends credentials from the URL as basic auth and never shows them', async () => {
    const received = await receive([401]);
    const url = receiver!.url.replace('http://', 'http://deploy:pa55word@');
    const hook = createWebhook({ url, method: 'POST', successStatus: 200, timeoutMs: 5000 });
    const result = await hook.run(A, new AbortController().signal);
    expect(received[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('deploy:pa55word').toString('base64')}`,
    );
    expect(JSON.stringify(result)).not.toContain('pa55word');
    expect(displayUrl(url)).toBe(`${receiver!.url}/`);
  });

  it('reports a refused connection', async () => {
    await receive([200]);
    const url = receiver!.url;
    await receiver!.close();
    receiver = undefined;
    const hook = createWebhook({ url, method: 'POST', successStatus: 200, timeoutMs: 5000 });
    const result = await hook.run(A, new AbortController().signal);
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/ECONNREFUSED/) });
  });
});
