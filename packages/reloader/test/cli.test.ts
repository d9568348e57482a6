import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { freePort, makeTempDir, removeTempDirs, waitFor } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { APP, BinProcess, get, hash, Layout, NODE } from './helpers.js';

let bin: BinProcess | undefined;
let blocker: Server | undefined;

afterEach(async () => {
  await bin?.kill();
  bin = undefined;
  blocker?.close();
  blocker = undefined;
  await removeTempDirs();
});

async function usageError(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  bin = new BinProcess(args, { env });
  const exit = await bin.exited;
  expect(exit.code).toBe(2);
  const lines = bin.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('the reloader bin', () => {
  it('rejects bad input with one line and exit code 2', async () => {
    expect(await usageError(['--port', '8080', '--', ''])).toMatch(
      /^reloader: the command after -- is empty/,
    );
    expect(await usageError(['--nope', '--', 'node'])).toBe(
      'reloader: unknown flag --nope: run with --help to see the flags',
    );
    expect(await usageError(['--port', 'eighty', '--', 'node'])).toMatch(
      /^reloader: --port: "eighty" is not a whole number/,
    );
    expect(await usageError(['--', 'node'], { GITPAAS_READY_TIMEOUT: 'soon' })).toMatch(
      /^reloader: GITPAAS_READY_TIMEOUT: "soon" is not a duration/,
    );
    expect(await usageError(['--ready-path', 'healthz', '--', 'node'])).toMatch(
      /--ready-path: "healthz" must start with \//,
    );
    expect(await usageError(['node', 'server.js'])).toMatch(
      /unexpected argument "node": put the command after --/,
    );
  });

  it('exits 2 when the port is in use', async () => {
    const port = await freePort();
    blocker = createServer();
    await new Promise<void>((done) => blocker?.listen(port, '127.0.0.1', done));
    expect(await usageError(['--port', String(port), '--host', '127.0.0.1', '--', NODE, APP], {})).toMatch(
      new RegExp(`^reloader: --port ${port}: 127\\.0\\.0\\.1:${port} is already in use`),
    );
  });

  it('exits 2 when the watched path is still missing after --wait-timeout', async () => {
    const root = await makeTempDir('reloader-test-');
    expect(
      await usageError(['--watch', join(root, 'nothing'), '--wait-timeout', '200ms', '--', NODE, APP]),
    ).toMatch(/still missing after --wait-timeout 200ms/);
  });

  it('prints --help generated from the option table', async () => {
    bin = new BinProcess(['--help']);
    expect((await bin.exited).code).toBe(0);
    expect(bin.stdout).toContain('Usage: reloader [options] [-- <command> [args…]]');
    expect(bin.stdout).toContain('[$GITPAAS_READY_TIMEOUT]');
  });

  it('prints its version with --version', async () => {
    bin = new BinProcess(['--version']);
    expect((await bin.exited).code).toBe(0);
    expect(bin.stdout).toMatch(/^reloader \d+\.\d+\.\d+ \(@gitpaas\/reloader\)\n$/);
  });

  it('passes child output through with a revision prefix, reads GITPAAS_* env, serves status and metrics, keeps a ledger', async () => {
    const root = await makeTempDir('reloader-test-');
    const layout = new Layout(root);
    await layout.add(hash('cli1'));
    await layout.flip(hash('cli1'));
    const port = await freePort();
    const statusPort = await freePort();
    const stateDir = join(root, 'state');
    bin = new BinProcess(
      [
        '--watch',
        layout.link,
        '--host',
        '127.0.0.1',
        '--http-bind',
        `127.0.0.1:${statusPort}`,
        '--',
        NODE,
        APP,
      ],
      {
        env: { GITPAAS_PORT: String(port), GITPAAS_STATE_DIR: stateDir },
      },
    );
    await waitFor(() => bin?.stdout.includes(`[${hash('cli1').slice(0, 7)}] starting ${hash('cli1')}`), {
      message: 'prefixed output',
    });
    await waitFor(async () => (await get(port).catch(() => ({ status: 0 }))).status === 200, {
      message: 'the app serving',
    });
    await layout.add(hash('cli2'));
    await layout.flip(hash('cli2'));
    await waitFor(async () => (await get(port)).body.includes(hash('cli2')), {
      message: 'the second revision',
    });

    const status = JSON.parse((await get(statusPort, '/status')).body);
    expect(status).toMatchObject({ mode: 'revision', current: { revision: hash('cli2'), outcome: 'live' } });
    expect(status.pid).toBeGreaterThan(0);
    expect(status.releases.map((release: { revision: string }) => release.revision)).toEqual([
      hash('cli2'),
      hash('cli1'),
    ]);
    const metrics = (await get(statusPort, '/metrics')).body;
    expect(metrics).toContain('reloader_releases_total{outcome="live"} 2');
    expect(metrics).toMatch(/reloader_proxied_requests_total\{code="2xx"\} \d+/);
    expect(metrics).toContain('reloader_time_to_ready_seconds_count 2');
    expect((await get(statusPort, '/elsewhere')).status).toBe(404);

    const ledger = async () =>
      (await readFile(join(stateDir, 'releases.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { id: number; revision: string; outcome: string });
    await waitFor(async () => (await ledger()).some((entry) => entry.outcome === 'retired'), {
      message: 'retired in the ledger',
    });
    expect(
      (await ledger()).map((entry) => `${entry.id} ${entry.revision.slice(0, 4)} ${entry.outcome}`),
    ).toEqual([
      `1 ${hash('cli1').slice(0, 4)} live`,
      `2 ${hash('cli2').slice(0, 4)} live`,
      `1 ${hash('cli1').slice(0, 4)} retired`,
    ]);
  });

  it('writes child output as JSON lines with --log-format json', async () => {
    const root = await makeTempDir('reloader-test-');
    const layout = new Layout(root);
    await layout.add(hash('json'));
    await layout.flip(hash('json'));
    bin = new BinProcess(['--watch', layout.link, '--log-format', 'json', '--', NODE, APP]);
    await waitFor(() => bin?.stdout.includes('\n'), { message: 'a line of output' });
    const line = JSON.parse(bin.stdout.split('\n')[0]!);
    expect(line).toMatchObject({
      revision: hash('json'),
      stream: 'stdout',
      line: expect.stringMatching(/^starting /),
    });
    await waitFor(() => bin?.stderr.includes('"msg"'), { message: 'a JSON log line' });
    expect(JSON.parse(bin.stderr.split('\n')[0]!)).toMatchObject({
      name: 'reloader',
      msg: expect.any(String),
    });
  });
});
