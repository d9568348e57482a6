import { writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  listen,
  makeTempDir,
  removeTempDirs,
  signedPush,
  type TestServer,
  waitFor,
} from '../test/helpers/index.js';
import { resolveOptions } from './config.js';
import { SecretFile, signBody } from './signature.js';
import { createTrigger, type Trigger } from './trigger.js';
import {
  FANOUT_CONCURRENCY,
  FANOUT_TIMEOUT_MS,
  FORWARDED_HEADER,
  parseFanoutTargets,
  selfTest,
} from './trigger-fanout.js';

const SECRET = 'fanout-secret-9f2';

interface Received {
  body: string;
  headers: IncomingMessage['headers'];
}

const servers: TestServer[] = [];
const controllers: AbortController[] = [];
afterEach(async () => {
  for (const controller of controllers.splice(0)) controller.abort();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await removeTempDirs();
});

/** A stand-in replica: records what it is sent and answers 202 (or whatever `answer` does). */
async function peer(answer?: (req: IncomingMessage, res: ServerResponse) => void) {
  const received: Received[] = [];
  const server = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString(), headers: req.headers });
      if (answer) answer(req, res);
      else res.writeHead(202, { 'content-type': 'application/json' }).end('{"outcome":"accepted"}\n');
    });
  });
  servers.push(server);
  return { received, port: Number(new URL(server.url).port), url: server.url };
}

/** A replica under test: the real trigger on a real server, fanning out to `targets`. */
async function replica(targets: (self: number) => string[]) {
  const dir = await makeTempDir();
  const secretFile = join(dir, 'secret');
  await writeFile(secretFile, SECRET);
  const registry = new Registry();
  const syncs: string[] = [];
  const stop = new AbortController();
  controllers.push(stop);
  let trigger: Trigger | undefined;
  const forwardedHere: string[] = [];
  const server = await listen((req, res) => {
    if (req.headers[FORWARDED_HEADER]) forwardedHere.push(String(req.headers['x-github-delivery']));
    trigger?.handle(req, res);
  });
  servers.push(server);
  const port = Number(new URL(server.url).port);
  trigger = createTrigger({
    ref: 'main',
    secret: new SecretFile(secretFile),
    fanout: parseFanoutTargets(targets(port)),
    stopSignal: stop.signal,
    registry,
    syncNow: async (reason) => {
      syncs.push(reason);
    },
  });
  const results = async () => {
    const metric = registry.getSingleMetric('gitpaas_trigger_fanout_total');
    const values = metric ? (await metric.get()).values : [];
    return Object.fromEntries(values.map((v) => [v.labels.result, v.value]));
  };
  return { url: `${server.url}/sync`, port, syncs, results, forwardedHere };
}

const push = (url: string, headers: Record<string, string> = {}, secret = SECRET) =>
  signedPush(url, secret, { headers: { 'x-github-delivery': 'd-1', ...headers } });

describe('--trigger-fanout', () => {
  it('re-sends an accepted delivery, body and signature unchanged and marked, to every peer but itself', async () => {
    const a = await peer();
    const b = await peer();
    const origin = await replica((self) => [`127.0.0.1:${a.port},127.0.0.1:${self}`, `127.0.0.1:${b.port}`]);
    const sent = await push(origin.url);
    expect(sent.status).toBe(202);
    expect(origin.syncs).toHaveLength(1);
    await waitFor(() => a.received.length === 1 && b.received.length === 1, { message: 'both peers' });
    for (const got of [a.received[0]!, b.received[0]!]) {
      expect(got.body).toBe(sent.body);
      expect(got.headers['x-hub-signature-256']).toBe(signBody(sent.body, SECRET));
      expect(got.headers['x-github-event']).toBe('push');
      expect(got.headers['x-github-delivery']).toBe('d-1');
      expect(got.headers['content-type']).toBe('application/json');
      expect(got.headers[FORWARDED_HEADER]).toBe('1');
    }
    await waitFor(async () => (await origin.results()).ok === 2, { message: 'two ok results' });
    expect(await origin.results()).toEqual({ ok: 2 });
    expect(origin.forwardedHere).toEqual([]);
    expect(origin.syncs).toHaveLength(1);
  });

  it('reaches every address a name resolves to (localhost: 127.0.0.1, and ::1 where there is one)', async () => {
    const a = await peer();
    const origin = await replica(() => [`localhost:${a.port}`]);
    expect((await push(origin.url)).status).toBe(202);
    await waitFor(() => a.received.length === 1, { message: 'the peer on 127.0.0.1' });
    // The peer listens on 127.0.0.1 only: an IPv6 address of localhost is refused (an error), not skipped.
    const { lookup } = await import('node:dns/promises');
    const addresses = await lookup('localhost', { all: true });
    await waitFor(async () => {
      const r = await origin.results();
      return (r.ok ?? 0) + (r.error ?? 0) === addresses.length;
    });
    expect((await origin.results()).ok).toBe(1);
  });

  it('never re-sends a delivery marked as forwarded, a bad signature, or a push to another branch', async () => {
    const a = await peer();
    const origin = await replica(() => [`127.0.0.1:${a.port}`]);
    expect((await push(origin.url, { [FORWARDED_HEADER]: '1' })).status).toBe(202);
    expect((await push(origin.url, { [FORWARDED_HEADER]: '1' }, 'forged')).status).toBe(401);
    expect((await push(origin.url, {}, 'forged')).status).toBe(401);
    const other = JSON.stringify({ ref: 'refs/heads/feature' });
    const ignored = await fetch(origin.url, {
      method: 'POST',
      body: other,
      headers: { 'x-github-event': 'push', 'x-hub-signature-256': signBody(other, SECRET) },
    });
    expect(((await ignored.json()) as { outcome: string }).outcome).toBe('ignored');
    // A last, plain delivery shows the fan-out works: it is the only one the peer ever gets.
    expect((await push(origin.url)).status).toBe(202);
    await waitFor(() => a.received.length === 1, { message: 'the plain delivery' });
    await waitFor(async () => (await origin.results()).ok === 1);
    expect(a.received.map((r) => r.headers[FORWARDED_HEADER])).toEqual(['1']);
    expect(origin.syncs).toHaveLength(2);
  });

  it('answers 202 at once and reaches healthy peers while a hung one times out in the background', async () => {
    const hung: ServerResponse[] = [];
    const stuck = await peer((_req, res) => hung.push(res));
    const healthy = await peer();
    const origin = await replica(() => [`127.0.0.1:${stuck.port}`, `127.0.0.1:${healthy.port}`]);
    expect((await push(origin.url)).status).toBe(202);
    await waitFor(() => healthy.received.length === 1 && stuck.received.length === 1);
    // The healthy peer's answer is counted long before the hung one's timeout.
    await waitFor(async () => (await origin.results()).ok === 1);
    expect((await origin.results()).timeout).toBeUndefined();
    await waitFor(async () => (await origin.results()).timeout === 1, {
      timeout: FANOUT_TIMEOUT_MS * 10,
      message: 'the hung peer to time out',
    });
    for (const res of hung) res.end();
  });

  it('keeps one request in flight per peer and sends only the newest of those that waited', async () => {
    const held: ServerResponse[] = [];
    const slow = await peer((_req, res) => held.push(res));
    const origin = await replica(() => [`127.0.0.1:${slow.port}`]);
    for (let i = 0; i < 20; i++)
      expect((await push(origin.url, { 'x-github-delivery': `d-${i}` })).status).toBe(202);
    await waitFor(() => slow.received.length === 1, { message: 'the first delivery' });
    expect(slow.received.length).toBe(1);
    held.shift()!.writeHead(202).end();
    await waitFor(() => slow.received.length === 2, { message: 'the newest waiting delivery' });
    expect(slow.received[1]!.headers['x-github-delivery']).toBe('d-19');
    held.shift()!.writeHead(202).end();
    await waitFor(async () => (await origin.results()).ok === 2);
    expect(slow.received).toHaveLength(2);
    expect(origin.syncs).toHaveLength(20);
  });

  it(`sends to at most ${FANOUT_CONCURRENCY} peers at once; the others wait for a free slot`, async () => {
    let open = 0;
    let most = 0;
    const answer = (_req: IncomingMessage, res: ServerResponse) => {
      most = Math.max(most, ++open);
      // Held a while (well inside the fan-out's timeout), so the requests overlap.
      setTimeout(() => {
        open--;
        res.writeHead(202).end();
      }, 300);
    };
    const peers = await Promise.all(Array.from({ length: FANOUT_CONCURRENCY + 4 }, () => peer(answer)));
    const origin = await replica(() => peers.map((p) => `127.0.0.1:${p.port}`));
    expect((await push(origin.url)).status).toBe(202);
    await waitFor(async () => (await origin.results()).ok === peers.length, { message: 'every peer' });
    expect(most).toBeLessThanOrEqual(FANOUT_CONCURRENCY);
    expect(most).toBeGreaterThan(1);
  });

  it('counts a peer that refuses, or answers 401 because its secret differs, as an error', async () => {
    const other = await peer((_req, res) => res.writeHead(401).end('{"outcome":"unauthorized"}'));
    const gone = await peer();
    await servers.find((s) => s.url === gone.url)!.close();
    const origin = await replica(() => [`127.0.0.1:${other.port}`, `127.0.0.1:${gone.port}`]);
    expect((await push(origin.url)).status).toBe(202);
    await waitFor(async () => (await origin.results()).error === 2, { message: 'two errors' });
    expect(origin.syncs).toHaveLength(1);
  });
});

describe('selfTest', () => {
  it("knows this instance by the delivery's port at any of this machine's addresses", () => {
    const isSelf = selfTest({ localPort: 8081, localAddress: '::ffff:127.0.0.1' });
    const external = Object.values(networkInterfaces())
      .flat()
      .find((entry) => entry && !entry.internal);
    for (const address of ['127.0.0.1', '::ffff:127.0.0.1', external?.address].filter(Boolean)) {
      expect(isSelf(address!, 8081), address).toBe(true);
      expect(isSelf(address!, 8082), address).toBe(false);
    }
    // TEST-NET-1: never an address of this machine.
    expect(isSelf('192.0.2.10', 8081)).toBe(false);
  });
});

describe('--trigger-fanout options', () => {
  const base = { repo: 'file:///srv/app.git', root: '/tmp/gitpaas-root' };

  it('reads host:port lists, repeated or comma-separated, IPv6 in brackets', () => {
    expect(parseFanoutTargets(['gitpaas-sync:8081,10.0.0.5:8081', '[fd00::1]:9000'])).toEqual([
      { host: 'gitpaas-sync', port: 8081 },
      { host: '10.0.0.5', port: 8081 },
      { host: 'fd00::1', port: 9000 },
    ]);
  });

  it('refuses a target without a host or port with a usage error naming the flag', () => {
    for (const bad of [':8081', 'gitpaas-sync', 'gitpaas-sync:0', 'x:70000']) {
      expect(() => parseFanoutTargets([bad]), bad).toThrow(/--trigger-fanout/);
    }
  });

  it('needs --trigger-secret-file: replicas verify what they are sent', () => {
    expect(() => resolveOptions({ ...base, triggerFanout: ['peer:8081'] })).toThrow(
      /--trigger-fanout needs --trigger-secret-file/,
    );
    const resolved = resolveOptions({ ...base, triggerFanout: ['peer:8081'], triggerSecretFile: '/s' });
    expect(resolved.fanoutTargets).toEqual([{ host: 'peer', port: 8081 }]);
  });
});
