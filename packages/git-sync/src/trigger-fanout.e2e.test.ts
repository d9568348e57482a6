import { readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  type RunningBin,
  removeTempDirs,
  signedPush,
  spawnBin,
  syncFixture,
  type TestRemote,
  waitFor,
} from '../test/helpers/index.js';

const SECRET = 'replicas-share-this-secret';
const running: RunningBin[] = [];

afterEach(async () => {
  for (const bin of running) bin.child.kill('SIGCONT');
  await Promise.all(running.splice(0).map((bin) => bin.stop()));
  await removeTempDirs();
});

interface Replica {
  bin: RunningBin;
  port: number;
  root: string;
}

/**
 * Three git-sync bins on 127.0.0.1, as three pods would run: same repository, ref and secret, a
 * period that never comes (1h), and each naming all three in --trigger-fanout (itself skipped by
 * its port).
 */
async function threeReplicas(): Promise<{ remote: TestRemote; replicas: Replica[] }> {
  const { dir, remote } = await syncFixture();
  const secretFile = join(dir, 'trigger-secret');
  await writeFile(secretFile, `${SECRET}\n`);
  const ports = [await freePort(), await freePort(), await freePort()];
  const fanout = ports.map((port) => `127.0.0.1:${port}`).join(',');
  const replicas = ports.map((port, i) => {
    const root = join(dir, `replica-${i}`);
    const bin = spawnBin(
      ['--repo', remote.url, '--root', root, '--ref', 'main', '--link', 'app', '--period', '1h'].concat([
        '--max-failures=-1',
        '--http-bind',
        `127.0.0.1:${port}`,
        '--http-metrics',
        '--trigger-secret-file',
        secretFile,
      ]),
      { env: { GITSYNC_TRIGGER_FANOUT: fanout } },
    );
    running.push(bin);
    return { bin, port, root };
  });
  const first = await remote.hash();
  // Published, and that first sync over (the link flips before its reporting ends): from here on
  // a sync can only come from a delivery.
  await waitFor(
    async () => {
      const states = await Promise.all(
        replicas.map(async (r) => [await published(r), await status(r)] as const),
      );
      return states.every(([hash, s]) => hash === first && s.state === 'waiting' && s.syncCount === 1);
    },
    { message: 'the first sync done on all three' },
  );
  return { remote, replicas };
}

async function published(replica: Replica): Promise<string | null> {
  return readlink(join(replica.root, 'app')).then(
    (target) => target.replace('.worktrees/', ''),
    () => null,
  );
}

const deliver = async (replica: Replica, secret = SECRET) =>
  (await signedPush(`http://127.0.0.1:${replica.port}/sync`, secret)).status;

async function status(replica: Replica): Promise<{ state: string; syncCount: number }> {
  const { state, syncCount } = (await (await fetch(`http://127.0.0.1:${replica.port}/status`)).json()) as {
    state: string;
    syncCount: number;
  };
  return { state, syncCount };
}

/** A counter from the replica's /metrics, summed over the series matching `label` (0 when absent). */
async function counter(replica: Replica, name: string, label = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${replica.port}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(name) && line.includes(label))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describe('three replicas with --trigger-fanout', () => {
  it('publish a push on all three from one delivery to one of them', async () => {
    const { remote, replicas } = await threeReplicas();
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    const next = await remote.commit({ 'app.js': 'v2\n' });
    expect(await deliver(b)).toBe(202);
    await waitFor(async () => (await Promise.all(replicas.map(published))).every((h) => h === next), {
      message: 'the push published on all three',
    });
    expect(await counter(b, 'gitpaas_trigger_fanout_total', 'result="ok"')).toBe(2);
    // Each of the others got it once, marked, and sent it nowhere.
    for (const other of [a, c]) {
      expect(await counter(other, 'gitpaas_trigger_requests_total', 'outcome="accepted"')).toBe(1);
      expect(await counter(other, 'gitpaas_trigger_fanout_total')).toBe(0);
    }
  });

  it('move none on a bad signature, which is not forwarded', async () => {
    const { remote, replicas } = await threeReplicas();
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    const before = await status(a);
    const next = await remote.commit({ 'app.js': 'forged\n' });
    expect(await deliver(a, 'not-the-secret')).toBe(401);
    // A sync would have started before the answer: none did.
    expect(await status(a)).toEqual(before);
    expect(await Promise.all(replicas.map(published))).not.toContain(next);
    // A valid delivery afterwards is the only request the others ever get.
    expect(await deliver(a)).toBe(202);
    await waitFor(async () => (await Promise.all(replicas.map(published))).every((h) => h === next), {
      message: 'the valid delivery published on all three',
    });
    for (const other of [b, c]) {
      expect(await counter(other, 'gitpaas_trigger_requests_total')).toBe(1);
      expect(await counter(other, 'gitpaas_trigger_requests_total', 'outcome="accepted"')).toBe(1);
    }
    expect(await counter(a, 'gitpaas_trigger_requests_total', 'outcome="unauthorized"')).toBe(1);
  });

  it('publish promptly on the live replicas while one hangs: its fan-out times out in the background', async () => {
    const { remote, replicas } = await threeReplicas();
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    // Frozen: the kernel still accepts connections for it, nothing answers (a node gone dark).
    c.bin.child.kill('SIGSTOP');
    const next = await remote.commit({ 'app.js': 'v3\n' });
    expect(await deliver(a)).toBe(202);
    await waitFor(async () => (await published(a)) === next && (await published(b)) === next, {
      message: 'the push published on the two live replicas',
    });
    expect(await counter(a, 'gitpaas_trigger_fanout_total', 'result="ok"')).toBe(1);
    await waitFor(async () => (await counter(a, 'gitpaas_trigger_fanout_total', 'result="timeout"')) === 1, {
      message: 'the fan-out to the frozen replica to time out',
    });
    expect(await published(c)).not.toBe(next);
  });
});
