import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { controlServerOptions, sleep } from '@gitpaas/core';
import { trickle } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpSyncs, syncWithTrigger } from '../test/helpers/index.js';
import { signBody } from './signature.js';
import { MAX_TRIGGER_BODY } from './trigger.js';

const SECRET = 'abuse-secret-31d';
const HUGE = 64 * 1024 * 1024;
const hasCurl = await new Promise<boolean>((resolve) =>
  execFile('curl', ['--version'], (error) => resolve(!error)),
);

afterEach(cleanUpSyncs);

const gitSyncServer = () => syncWithTrigger(SECRET);

const tooLarge = { outcome: 'too_large', detail: `the body is over ${MAX_TRIGGER_BODY} bytes` };

describe('POST /sync with a body far over the limit', () => {
  it.skipIf(!hasCurl)(
    `answers 413 that curl reads, instead of a reset it reports as a send failure${hasCurl ? '' : ' (skipped: curl is not installed)'}`,
    async () => {
      const { url, dir } = await gitSyncServer();
      const file = join(dir, 'huge');
      await writeFile(file, Buffer.alloc(HUGE, 0x61));
      // curl stops sending once it has an answer, but a reset while it sends loses the answer
      // (exit 55, "Send failure: Broken pipe"): closing at once did that about every other time.
      for (let attempt = 1; attempt <= 5; attempt++) {
        const result = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
          execFile(
            'curl',
            ['-sS', '-w', '\n%{http_code}', '--max-time', '30', '--data-binary', `@${file}`, url],
            (error, out, err) => resolve({ code: Number(error?.code ?? 0), out, err }),
          );
        });
        expect([result.code, result.err], `attempt ${attempt}`).toEqual([0, '']);
        const lines = result.out.trim().split('\n');
        expect(lines.at(-1)).toBe('413');
        expect(JSON.parse(lines[0]!)).toEqual(tooLarge);
      }
    },
  );

  it("answers 413 that Node's http client reads while it is still sending, declared or chunked", async () => {
    const { url } = await gitSyncServer();
    for (const declared of [true, false]) {
      const seen = await new Promise<{ status: number; body: string; errorFirst?: string }>((resolve) => {
        let errorFirst: string | undefined;
        const req = request(
          url,
          { method: 'POST', headers: declared ? { 'content-length': HUGE } : {} },
          (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => {
              body += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body, errorFirst }));
          },
        );
        req.on('error', (error: NodeJS.ErrnoException) => {
          errorFirst ??= error.code;
          resolve({ status: 0, body: '', errorFirst });
        });
        // A careless client: keeps sending the whole body whatever the server says.
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        let sent = 0;
        const pump = () => {
          while (sent < HUGE && !req.destroyed) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          if (!req.destroyed) req.end();
        };
        pump();
      });
      expect(seen.errorFirst, declared ? 'declared' : 'chunked').toBeUndefined();
      expect([seen.status, JSON.parse(seen.body)]).toEqual([413, tooLarge]);
    }
  });

  it('answers 413 that fetch reads', async () => {
    const { url } = await gitSyncServer();
    const response = await fetch(url, { method: 'POST', body: Buffer.alloc(HUGE, 0x61) });
    expect([response.status, await response.json()]).toEqual([413, tooLarge]);
  });
});

describe('slow clients', () => {
  it('cuts a client trickling its headers or its body one byte a second while others are served', async () => {
    const { gs, port, url } = await gitSyncServer();
    const body = '{"ref":"refs/heads/main"}';
    const headers = `POST /sync HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Gitpaas-Signature: ${signBody(body, SECRET)}\r\nContent-Length: ${body.length}\r\n\r\n`;
    const slowHeaders = trickle(port, '', headers);
    const slowBody = trickle(port, headers, body);
    try {
      const cut = Promise.all([slowHeaders.closed, slowBody.closed]);
      let done = false;
      void cut.then(() => {
        done = true;
      });
      // Meanwhile everyone else is answered: status reads and a signed trigger.
      let served = 0;
      while (!done) {
        const status = await fetch(`http://127.0.0.1:${port}/status`);
        expect(status.status).toBe(200);
        await status.arrayBuffer();
        served++;
        await sleep(200);
      }
      const trigger = await fetch(url, {
        method: 'POST',
        body,
        headers: { 'x-gitpaas-signature': signBody(body, SECRET) },
      });
      expect(trigger.status).toBe(202);
      const [h, b] = await cut;
      expect(h.answer).toBe('HTTP/1.1 408 Request Timeout');
      expect(b.answer).toBe('HTTP/1.1 408 Request Timeout');
      // Cut by the server's limits (5 s for headers, 10 s for the request, checked every second),
      // long before the slow clients were done; the margin is for a loaded machine.
      expect(h.sent).toBeLessThan(headers.length);
      expect(b.sent).toBeLessThan(body.length);
      const limit = (ms: number) => (ms + controlServerOptions.connectionsCheckingInterval) / 1000 + 10;
      expect(h.seconds).toBeLessThan(limit(controlServerOptions.headersTimeout));
      expect(b.seconds).toBeLessThan(limit(controlServerOptions.requestTimeout));
      expect(served).toBeGreaterThan(5);
      expect(gs.status().state).not.toBe('failed');
    } finally {
      slowHeaders.stop();
      slowBody.stop();
    }
  }, 60_000);
});
