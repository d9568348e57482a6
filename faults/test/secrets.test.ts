import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@gitpaas/core';
import { type HttpGitServer, startHttpGitServer, TestRemote } from '@gitpaas/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import type { BinProcess } from '../src/bins.js';
import { stopAllBins } from '../src/bins.js';
import { type FaultCase, faultCase } from '../src/fault-case.js';
import { postSync, pushBody } from '../src/http.js';
import type { Load } from '../src/load.js';
import { revisionFiles } from '../src/revisions.js';
import { type Channel, fileChannels, httpChannels, leaks, type Planted, plant } from '../src/secrets.js';
import { type Release, type StackPaths, TwoBins } from '../src/stack.js';
import { Up } from '../src/up.js';

const GROUP = 'Planted secrets';
const USER = 'fault-user';
/** What every revision of the app does: prints its whole environment and the file FAULTS_PRINT_FILE names. */
const PRINTS = { printEnv: true, printFile: true };

afterAll(stopAllBins);

/** A repository on smart HTTP with basic auth (`password`), one revision of the printing app on main. */
async function authRemote(record: FaultCase, password: string) {
  const dir = await record.tempDir('secrets');
  const remote = await TestRemote.create(dir);
  const base = await remote.commit(revisionFiles('base', PRINTS));
  const server = await startHttpGitServer(dir, { username: USER, password });
  record.defer(() => server.stop());
  const secrets = join(dir, 'secrets');
  await mkdir(secrets);
  return { dir, remote, base, server, secrets, repo: `${server.url}/repo.git` };
}

interface Deployed {
  remote: TestRemote;
  server: HttpGitServer;
  password: string;
  paths: StackPaths;
  port: number;
  /** Whether the last sync failed, and the release ledger. */
  syncFailing(): Promise<boolean>;
  releases(): Promise<Release[]>;
  serving(hash: string, timeout?: number): Promise<void>;
}

/**
 * What makes secrets travel: a revision that prints them and exits (its output lands in the
 * release's reason, /status, the ledger and the logs), the remote refusing the credentials for a
 * while (errors in logs, /status, the error file), then a good revision that prints them and goes live.
 */
async function stirUp(record: FaultCase, stack: Deployed): Promise<void> {
  const broken = await stack.remote.commit(revisionFiles('broken', { ...PRINTS, mode: 'exit' }));
  record.fault();
  await waitFor(
    async () => (await stack.releases()).some((r) => r.revision === broken && r.outcome === 'failed'),
    {
      timeout: 30_000,
      message: 'the printing revision that exits marked failed',
    },
  );
  stack.server.setCredentials(USER, 'not-the-planted-one');
  const next = await stack.remote.commit(revisionFiles('next', PRINTS));
  record.fault();
  await waitFor(() => stack.syncFailing(), {
    timeout: 30_000,
    message: 'syncs failing on the refused credentials',
  });
  stack.server.setCredentials(USER, stack.password);
  await stack.serving(next, 30_000);
}

/** Triggers with the secret (signed, as a bearer token) and without it. */
/** `gitpaas up` as stirUp() sees it. */
function deployedUp(up: Up, remote: TestRemote, server: HttpGitServer, password: string): Deployed {
  return {
    remote,
    server,
    password,
    paths: up.paths,
    port: up.port,
    syncFailing: async () => (await up.status()).sync.consecutiveFailures > 0,
    releases: async () => (await up.status()).reloader.releases,
    serving: (hash, timeout) => up.serving(hash, timeout),
  };
}

/** Every channel of `gitpaas up` a secret could reach: its HTTP answers (each release's logs too) and its files. */
async function upChannels(up: Up): Promise<Channel[]> {
  const ids = (await up.status()).reloader.releases.map((release) => release.id);
  const http = await httpChannels([
    ...['/status', '/metrics', '/api/state', '/logs'].map((path) => `${up.url}${path}`),
    ...ids.map((id) => `${up.url}/logs?release=${id}`),
  ]);
  return [...http, ...(await stackFiles(up.paths))];
}

async function trigger(record: FaultCase, url: string, secret: string): Promise<void> {
  expect((await postSync(url, { secret })).status).toBe(202);
  expect((await postSync(url, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(202);
  expect((await postSync(url, { headers: { authorization: `Bearer ${secret}x` } })).status).toBe(401);
  record.requests({ sent: 3, failed: 0 });
  record.badInput();
}

/** Scans every channel; records what leaked; returns the channels scanned. */
function scan(record: FaultCase, channels: Channel[], planted: Planted[]) {
  const found = leaks(channels, planted);
  for (const leak of found) {
    record.secretBytes(leak.bytes);
    record.observe(`LEAK: ${leak.bytes} bytes of the ${leak.where} in ${leak.channel}`);
  }
  record.observe(
    `${channels.length} channels scanned (${(channels.reduce((n, c) => n + c.text.length, 0) / 1024).toFixed(0)} KiB) for ${planted.map((p) => p.where).join(', ')}`,
  );
  return found;
}

function binChannels(bins: BinProcess[]): Channel[] {
  return bins.flatMap((bin, i) => [
    { name: `${bin.name} #${i + 1} stdout`, text: bin.stdout },
    { name: `${bin.name} #${i + 1} stderr`, text: bin.stderr },
  ]);
}

/** The files a stack writes: its root (repository, worktrees, link), state dir (ledger, logs) and error file. */
async function stackFiles(paths: StackPaths): Promise<Channel[]> {
  return [
    ...(await fileChannels(paths.root)),
    ...(await fileChannels(paths.stateDir)),
    ...(await fileChannels(paths.errorFile)),
  ];
}

/** The app printed its environment and the file: the redaction had something to catch. */
function expectPrinted(channels: Channel[], marker: RegExp): void {
  expect(channels.some((channel) => /env \{/.test(channel.text))).toBe(true);
  expect(channels.some((channel) => marker.test(channel.text))).toBe(true);
}

describe.concurrent(GROUP, () => {
  it('gitpaas up: a password in the --repo URL and the trigger secret', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'gitpaas up with `--repo http://user:<secret>@…` and `--trigger-secret-file`, through a revision that prints its environment and the trigger secret file (which the app can read: same user) and exits, credentials the remote refuses for a while, triggers signed and as a bearer token, and a printing revision going live: 0 bytes of either secret (as given, URL-encoded, or in a Basic header) in stdout/stderr, /status, /metrics, /api/state, every release’s /logs, the error file, the ledger and logs in the state dir, and every file in --root — the app’s printed line is there, redacted; 0 failed requests',
    );
    const url = plant('URL password', 'URLPASS-7c1e4a9d', USER);
    const trig = plant('trigger secret', 'TRIGSECRET-52b8f0e3');
    const { dir, remote, base, server, secrets, repo } = await authRemote(record, url.value);
    const secretFile = join(secrets, 'trigger-secret');
    await writeFile(secretFile, `${trig.value}\n`);
    const up = await Up.start(
      record,
      dir,
      ['--repo', repo.replace('http://', `http://${USER}:${url.value}@`)],
      {
        args: ['--trigger-secret-file', secretFile],
        env: { FAULTS_PRINT_FILE: secretFile },
      },
    );
    await up.serving(base);
    const load = record.load(up.port, { connections: 1 });
    await stirUp(record, deployedUp(up, remote, server, url.value));
    await trigger(record, `${up.url}/sync`, trig.value);
    const channels = await upChannels(up);
    expectPrinted(channels, /file REDACTED/);
    await finish(record, load, up.bin, channels, [url, trig]);
  });

  it('git-sync and the reloader: the password in GITSYNC_PASSWORD, in the env of both bins', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'the two bins started with GITSYNC_USERNAME/GITSYNC_PASSWORD (and the trigger secret file) in both environments, as a shared env file does, through the same faults: the app, which prints its environment, never sees the password (the reloader drops GITSYNC_*); 0 bytes of it or of the trigger secret in either bin’s stdout/stderr, /status and /metrics of both, the error file, the state dir and --root; 0 failed requests',
    );
    const env = plant('GITSYNC_PASSWORD env value', 'ENVPASS-e94d27b1', USER);
    const trig = plant('trigger secret', 'TRIGSECRET-0af3c6d8');
    const { dir, remote, base, server, secrets, repo } = await authRemote(record, env.value);
    const secretFile = join(secrets, 'trigger-secret');
    await writeFile(secretFile, `${trig.value}\n`);
    const stack = await TwoBins.start(record, dir, repo, {
      syncArgs: ['--trigger-secret-file', secretFile],
      env: { GITSYNC_USERNAME: USER, GITSYNC_PASSWORD: env.value },
    });
    await stack.serving(base);
    const load = record.load(stack.port, { connections: 1 });
    await stirUp(record, {
      remote,
      server,
      password: env.value,
      paths: stack.paths,
      port: stack.port,
      syncFailing: async () => (await stack.syncStatus()).consecutiveFailures > 0,
      releases: async () => (await stack.reloaderStatus()).releases,
      serving: (hash, timeout) => stack.serving(hash, timeout),
    });
    await trigger(record, `${stack.syncUrl}/sync`, trig.value);
    const http = await httpChannels(
      [stack.syncUrl, stack.reloaderUrl].flatMap((base) =>
        ['/status', '/metrics'].map((path) => `${base}${path}`),
      ),
    );
    const channels = [...http, ...(await stackFiles(stack.paths)), ...binChannels([stack.reloader])];
    expect(channels.some((channel) => /env \{/.test(channel.text))).toBe(true);
    await finish(record, load, stack.sync, channels, [env, trig], stack.syncRuns);
  });

  it('gitpaas up: --password-file, whose content the app prints', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'gitpaas up with `--username` and `--password-file`, through the same faults, with an app that prints the password file itself (it can read it: same user): every line of the app is redacted before it is shown or stored, so 0 bytes of the password in stdout/stderr, /status, /metrics, /api/state, every release’s /logs, the error file, the state dir and --root — and the app’s printed line is there, redacted; 0 failed requests',
    );
    const file = plant('password file', 'FILEPASS-3d6b81c5', USER);
    const { dir, remote, base, server, secrets, repo } = await authRemote(record, file.value);
    const passwordFile = join(secrets, 'password');
    await writeFile(passwordFile, `${file.value}\n`);
    const up = await Up.start(record, dir, ['--repo', repo], {
      args: ['--username', USER, '--password-file', passwordFile],
      env: { FAULTS_PRINT_FILE: passwordFile },
    });
    await up.serving(base);
    const load = record.load(up.port, { connections: 1 });
    await stirUp(record, deployedUp(up, remote, server, file.value));
    const channels = await upChannels(up);
    expectPrinted(channels, /file REDACTED/);
    await finish(record, load, up.bin, channels, [file]);
  });
});

/** Stops the load and the bin(s) (their output whole), scans everything: 0 bytes, 0 failed requests. */
async function finish(
  record: FaultCase,
  load: Load,
  bin: BinProcess,
  channels: Channel[],
  planted: Planted[],
  bins: BinProcess[] = [bin],
): Promise<void> {
  const result = await load.stop();
  await Promise.all(bins.map((one) => one.stop()));
  record.badInput(planted.length);
  const found = scan(record, [...channels, ...binChannels(bins)], planted);
  expect(found).toEqual([]);
  expect(result.errors).toEqual([]);
  // The body of a trigger is not a secret: a sanity check that the scan reads what it should.
  expect(leaks([{ name: 'probe', text: pushBody() }], [plant('probe', 'refs/heads/main')])).toHaveLength(1);
}
