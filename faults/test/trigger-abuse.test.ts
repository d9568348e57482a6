import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { sleep } from '@gitpaas/core';
import { startGitDaemon, TestRemote, trickle } from '@gitpaas/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { stopAllBins } from '../src/bins.js';
import { type FaultCase, faultCase } from '../src/fault-case.js';
import { getText, metric, postSync, pushBody, sign } from '../src/http.js';
import { revisionFiles } from '../src/revisions.js';
import { TwoBins } from '../src/stack.js';

const GROUP = 'The trigger is abused';
const SECRET = 'abuse-trigger-secret';

afterAll(stopAllBins);

/** git-sync with a trigger secret and a period that never comes (only the trigger moves it), the app served, the load on. */
async function triggerable(record: FaultCase) {
  const dir = await record.tempDir('trigger');
  const remote = await TestRemote.create(dir);
  const base = await remote.commit(revisionFiles('base'));
  const daemon = await startGitDaemon(dir);
  record.defer(() => daemon.stop());
  const secretFile = join(dir, 'trigger-secret');
  await writeFile(secretFile, `${SECRET}\n`);
  const stack = await TwoBins.start(record, dir, `${daemon.url}/repo.git`, {
    syncArgs: ['--period', '1h', '--trigger-secret-file', secretFile],
  });
  await stack.serving(base);
  const load = record.load(stack.port, { connections: 1 });
  return { remote, base, stack, load, url: `${stack.syncUrl}/sync` };
}

/** git-sync's sync count so far (every sync: a trigger that got through moves it). */
async function syncCount(stack: TwoBins): Promise<number> {
  return metric((await getText(`${stack.syncUrl}/metrics`)).text, 'git_sync_count_total');
}

describe(GROUP, () => {
  it('triggers with bad, missing and other-body signatures', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'every unsigned or wrongly signed POST /sync (no signature; the wrong secret in each of the 5 formats; a valid signature of another body; a body changed by one byte; malformed values) is answered 401 and starts no sync, while a push waits; then one valid delivery is answered 202 and the push goes live; 0 failed requests',
    );
    const { remote, stack, load, url } = await triggerable(record);
    const pushed = await remote.commit(revisionFiles('pushed'));
    const body = pushBody();
    const other = pushBody('refs/heads/main').replace('"after":"', '"after":"1');
    const wrong = 'not-the-secret';
    const hex = (text: string, secret: string) => createHmac('sha256', secret).update(text).digest('hex');
    const attempts: Array<[string, Record<string, string>, string]> = [
      ['no signature', {}, body],
      ['GitHub, wrong secret', { 'x-hub-signature-256': sign(body, wrong) }, body],
      ['X-Gitpaas-Signature, wrong secret', { 'x-gitpaas-signature': sign(body, wrong) }, body],
      ['Gitea, wrong secret', { 'x-gitea-signature': hex(body, wrong) }, body],
      ['GitLab token, wrong', { 'x-gitlab-token': wrong }, body],
      ['bearer, wrong', { authorization: `Bearer ${wrong}` }, body],
      ['the signature of another body', { 'x-hub-signature-256': sign(other, SECRET) }, body],
      ['the body changed by one byte', { 'x-hub-signature-256': sign(body, SECRET) }, `${body} `],
      ['sha1 instead of sha256', { 'x-hub-signature-256': `sha1=${hex(body, SECRET)}` }, body],
      ['empty signature', { 'x-hub-signature-256': '' }, body],
      ['truncated signature', { 'x-hub-signature-256': sign(body, SECRET).slice(0, 40) }, body],
      ['the secret as a GitHub signature', { 'x-hub-signature-256': `sha256=${SECRET}` }, body],
      ['bearer with the secret’s prefix', { authorization: `Bearer ${SECRET.slice(0, -1)}` }, body],
    ];
    const before = await syncCount(stack);
    for (const [what, headers, sent] of attempts) {
      const answer = await postSync(url, { headers, body: sent });
      record.badInput();
      expect(answer.status, what).toBe(401);
    }
    expect(await syncCount(stack)).toBe(before);
    expect((await stack.syncStatus()).publishedHash).not.toBe(pushed);
    expect((await postSync(url, { secret: SECRET })).status).toBe(202);
    await stack.serving(pushed, 15_000);
    record.requests({ sent: attempts.length + 1, failed: 0 });
    expect((await load.stop()).errors).toEqual([]);
  });

  it('triggers with bodies far over the 1 MiB limit, declared and streamed', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'a POST /sync declaring 64 MiB and one streaming 64 MiB chunked (a careless client that keeps sending) each get a 413 the client reads (no reset), start no sync, and git-sync keeps answering /status; 0 failed requests',
    );
    const { stack, load, url } = await triggerable(record);
    const before = await syncCount(stack);
    for (const declared of [true, false]) {
      const answer = await careless(url, 64 * 1024 * 1024, declared);
      record.badInput();
      expect(answer.error).toBeUndefined();
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ outcome: 'too_large' });
      record.observe(
        `${declared ? 'declared' : 'chunked'}: 413 after ${(answer.sentBytes / 1024 / 1024).toFixed(1)} MiB sent`,
      );
    }
    expect(await syncCount(stack)).toBe(before);
    expect((await getText(`${stack.syncUrl}/status`)).status).toBe(200);
    expect((await load.stop()).errors).toEqual([]);
  });

  it('slow-loris: 20 connections trickling headers or bodies one byte a second', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      '10 connections trickling their headers and 10 trickling a signed body, one byte a second: each is answered 408 and closed, headers within 5 s and requests within 10 s (+1 s checks, +10 s margin for a loaded machine), before it finished sending; meanwhile every GET /status (every 200 ms) is answered 200; 0 failed requests',
    );
    const { stack, load } = await triggerable(record);
    const body = pushBody();
    const head = `POST /sync HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Hub-Signature-256: ${sign(body, SECRET)}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const slow = [
      ...Array.from({ length: 10 }, () => trickle(stack.syncPort, '', head)),
      ...Array.from({ length: 10 }, () => trickle(stack.syncPort, head, body)),
    ];
    record.badInput(slow.length);
    let done = false;
    const cut = Promise.all(slow.map((one) => one.closed)).finally(() => {
      done = true;
    });
    let sampled = 0;
    while (!done) {
      expect((await getText(`${stack.syncUrl}/status`)).status).toBe(200);
      sampled++;
      await sleep(200);
    }
    record.requests({ sent: sampled, failed: 0 });
    const results = await cut;
    for (const [i, result] of results.entries()) {
      const headersOnly = i < 10;
      expect(result.answer).toBe('HTTP/1.1 408 Request Timeout');
      expect(result.sent).toBeLessThan((headersOnly ? head : body).length);
      expect(result.seconds).toBeLessThan(headersOnly ? 5 + 1 + 10 : 10 + 1 + 10);
    }
    const slowest = (from: number, to: number) => Math.max(...results.slice(from, to).map((r) => r.seconds));
    record.observe(
      `headers cut after at most ${slowest(0, 10).toFixed(1)} s, bodies after at most ${slowest(10, 20).toFixed(1)} s; ${sampled} status reads meanwhile, all 200`,
    );
    expect((await load.stop()).errors).toEqual([]);
  });

  it('a flood of signed triggers from 8 connections while /status is sampled and a push lands', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'for 10 s (at most 5000 requests), 8 keep-alive connections send signed POST /sync as fast as they are answered, while GET /status is read every 100 ms (at most) on its own connection, and a push lands 2 s in: every trigger is answered 202 and every status read 200 (p99 under 2 s); the syncs coalesce (fewer than 1 per 10 triggers); git-sync publishes the push before the flood ends; 0 failed requests',
    );
    const { remote, stack, load, url } = await triggerable(record);
    const body = pushBody();
    const headers = {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-hub-signature-256': sign(body, SECRET),
    };
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const before = await syncCount(stack);
    // Committed beforehand: during the flood the push is only the remote's ref update, as receive-pack does.
    const next = (await remote.prepareCommits(1, () => revisionFiles('pushed-in-flood')))[0]!;
    const until = Date.now() + 10_000;
    const pushAt = until - 8000;
    const answers = new Map<number, number>();
    let sent = 0;
    const flooder = async () => {
      while (Date.now() < until && sent < 5000) {
        sent++;
        const status = await post(url, body, headers, agent).catch(() => 0);
        answers.set(status, (answers.get(status) ?? 0) + 1);
      }
    };
    const flood = Promise.all(Array.from({ length: 8 }, flooder));
    const latencies: number[] = [];
    let statusFailures = 0;
    let pushed: string | undefined;
    let pushedAt = 0;
    let publishedAfterMs: number | undefined;
    while (Date.now() < until) {
      const t0 = performance.now();
      const answer = await getText(`${stack.syncUrl}/status`).catch(() => ({ status: 0, text: '' }));
      latencies.push(performance.now() - t0);
      if (answer.status !== 200) statusFailures++;
      // Pushed 2 s into the flood: git-sync has 8 s left to publish it under the flood.
      if (!pushed && Date.now() >= pushAt) {
        pushed = next;
        await remote.setBranch(next);
        pushedAt = Date.now();
      }
      if (
        pushed &&
        publishedAfterMs === undefined &&
        answer.status === 200 &&
        JSON.parse(answer.text).publishedHash === pushed
      )
        publishedAfterMs = Date.now() - pushedAt;
      await sleep(100);
    }
    await flood;
    agent.destroy();
    const syncs = (await syncCount(stack)) - before;
    latencies.sort((a, b) => a - b);
    const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    record.requests({
      sent: sent + latencies.length,
      failed: sent - (answers.get(202) ?? 0) + statusFailures,
    });
    record.badInput(sent);
    record.observe(
      `${sent} signed triggers in 10 s (${Math.round(sent / 10)}/s): ${[...answers].map(([status, n]) => `${n}× ${status}`).join(', ')}; ${syncs} syncs; GET /status p50 ${p(0.5).toFixed(0)} ms, p99 ${p(0.99).toFixed(0)} ms over ${latencies.length} reads; the push was published ${publishedAfterMs === undefined ? 'only after the flood' : `${(publishedAfterMs / 1000).toFixed(1)} s after it`}`,
    );
    expect([...answers.keys()]).toEqual([202]);
    expect(statusFailures).toBe(0);
    expect(p(0.99)).toBeLessThan(2000);
    expect(sent).toBeGreaterThan(500);
    expect(syncs).toBeLessThan(sent / 10);
    expect(publishedAfterMs, 'the push published during the flood').toBeDefined();
    await stack.serving(pushed!);
    expect((await load.stop()).errors).toEqual([]);
  });
});

/** A client that sends `size` bytes whatever the server answers; resolves with the answer it read. */
function careless(url: string, size: number, declared: boolean) {
  return new Promise<{ status: number; body: string; sentBytes: number; error?: string }>((resolve) => {
    let sentBytes = 0;
    const req = request(
      url,
      { method: 'POST', headers: declared ? { 'content-length': size } : {} },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sentBytes }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ status: 0, body: '', sentBytes, error: error.code }),
    );
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (sentBytes < size && !req.destroyed) {
        sentBytes += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

function post(url: string, body: string, headers: Record<string, string>, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent, timeout: 15_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 15 s')));
    req.on('error', reject);
    req.end(body);
  });
}
