import { readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, waitFor } from '@gitpaas/test-utils';
import { describe, expect, it } from 'vitest';
import { exampleAppDir, pushChange } from '../src/demo-repo.js';
import { alive, cleanEnv, cleanUpAfter, get, runCli, seededRepo, startCli } from './helpers.js';

cleanUpAfter();

const oneLine = (text: string) => text.trimEnd().split('\n');

describe('gitpaas (the bin as a user types it)', () => {
  it('lists its commands on --help and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const name of ['demo', 'up', 'status', 'rollback', 'logs', 'init', 'sync', 'run'])
      expect(stdout).toContain(name);
  });

  it('prints the usage and exits 2 when no command is given', async () => {
    const { code, stdout } = await runCli([]);
    expect(code).toBe(2);
    expect(stdout).toContain('Usage: gitpaas <command>');
  });

  it.each(['demo', 'up', 'status', 'rollback', 'logs', 'init'])(
    '%s --help shows flags and examples',
    async (name) => {
      const { code, stdout, stderr } = await runCli([name, '--help']);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: gitpaas ${name}`);
      expect(stdout).toContain('Examples:');
    },
  );

  it('up --help shows the flags of both packages with their env names', async () => {
    const { stdout } = await runCli(['up', '--help']);
    expect(stdout).toContain('--repo');
    expect(stdout).toContain('$GITSYNC_REPO');
    expect(stdout).toContain('--ready-path');
    expect(stdout).toContain('$GITPAAS_READY_PATH');
    expect(stdout).toContain('--trigger-secret-file');
  });

  it.each([
    [['bogus'], /unknown command "bogus"/],
    [['help', 'bogus'], /unknown command "bogus"/],
    [['up', '--repo=file:///x', '--period=soon', '--', 'node', 'x.js'], /--period: "soon" is not a duration/],
    [['up', '--', 'node', 'server.js'], /--repo is required/],
    [
      ['up', '--repo=file:///x', '--http-bind=8081', '--', 'node', 'x.js'],
      /--http-bind: "8081" is not host:port/,
    ],
    [['status', '--url=127.0.0.1:70000'], /--url: port 70000 is out of range/],
    [
      ['up', '--repo=file:///x', '--http-bind=:70000', '--', 'node', 'x.js'],
      /--http-bind: port 70000 is out of range/,
    ],
    [['status', '--bogus'], /unknown flag --bogus/],
    [['status', '--json', 'extra'], /unexpected argument "extra"/],
    [['demo', '--port=70000'], /--port: 70000 is too large/],
    [
      ['init', '--name=Not_Valid', '--repo=https://example.invalid/x.git'],
      /--name: "Not_Valid" is not a valid name/,
    ],
  ])('gitpaas %j exits 2 with one line saying what to do', async (args, message) => {
    const { code, stderr, stdout } = await runCli(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(oneLine(stderr)).toHaveLength(1);
    expect(stderr).toMatch(message);
  });

  it('prints no colour codes when stderr is not a terminal, and honours NO_COLOR over FORCE_COLOR', async () => {
    expect((await runCli(['bogus'])).stderr).not.toContain('\x1b[');
    expect((await runCli(['bogus'], { env: cleanEnv({ FORCE_COLOR: '1' }) })).stderr).toContain('\x1b[');
    expect(
      (await runCli(['bogus'], { env: cleanEnv({ FORCE_COLOR: '1', NO_COLOR: '1' }) })).stderr,
    ).not.toContain('\x1b[');
  });

  it('status against an address where nothing listens exits 1 with one line', async () => {
    const { code, stderr } = await runCli(['status', '--url=http://127.0.0.1:9']);
    expect(code).toBe(1);
    expect(oneLine(stderr)).toHaveLength(1);
    expect(stderr).toMatch(/nothing answers at http:\/\/127\.0\.0\.1:9/);
  });

  it('sync and run are the git-sync and reloader bins', async () => {
    const sync = await runCli(['sync', '--help']);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toContain('--repo');
    const run = await runCli(['run', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('reloader');
    const bad = await runCli(['run', '--bogus']);
    expect(bad.code).toBe(2);
  });

  it('sync --one-time publishes the revision like the git-sync bin', async () => {
    const { dir, repo } = await seededRepo();
    const root = join(dir, 'root');
    const { code, stderr } = await runCli([
      'sync',
      `--repo=file://${repo.bare}`,
      `--root=${root}`,
      '--one-time',
    ]);
    expect(code, stderr).toBe(0);
    expect(await readlink(join(root, 'hello.git'))).toBe(`.worktrees/${repo.head}`);
  });

  it('sync passes each SIGHUP on to git-sync (--sync-on-signal), and keeps running', async () => {
    const { dir, repo } = await seededRepo();
    const root = join(dir, 'root');
    const link = join(root, 'hello.git');
    const sync = startCli([
      'sync',
      `--repo=file://${repo.bare}`,
      `--root=${root}`,
      '--period=1h',
      '--sync-on-signal=SIGHUP',
    ]);
    const published = (hash: string) =>
      waitFor(async () => (await readlink(link).catch(() => '')) === `.worktrees/${hash}`, {
        timeout: 60_000,
        message: `${hash.slice(0, 7)} to be published`,
      }).catch((error) => {
        throw new Error(`${error}\n${sync.stderr}`);
      });
    await published(repo.head);
    for (const text of ['one', 'two']) {
      const hash = await pushChange(repo, { 'message.txt': `${text}\n` }, text);
      sync.child.kill('SIGHUP');
      await published(hash);
      expect(sync.child.exitCode).toBeNull();
    }
    sync.child.kill('SIGTERM');
    expect(await sync.exited).toBe(0);
  });

  it('run serves like the reloader bin and stops its app when gitpaas gets SIGTERM', async () => {
    const port = await freePort();
    const hello = await exampleAppDir();
    const statusBind = `127.0.0.1:${await freePort()}`;
    const run = startCli(
      [
        'run',
        `--port=${port}`,
        '--host=127.0.0.1',
        '--ready-path=/healthz',
        `--http-bind=${statusBind}`,
        '--',
        'node',
        'server.js',
      ],
      { cwd: hello },
    );
    await waitFor(async () => (await get(`http://127.0.0.1:${port}/healthz`))?.status === 200, {
      timeout: 60_000,
      message: 'the app behind gitpaas run',
    });
    const appPid = JSON.parse((await get(`http://${statusBind}/status`))!.body).pid as number;
    expect(alive(appPid)).toBe(true);
    run.child.kill('SIGTERM');
    await run.exited;
    expect(alive(appPid)).toBe(false);
    expect(await get(`http://127.0.0.1:${port}/healthz`)).toBeUndefined();
  });
});
