import { existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { createServer } from 'node:net';
import { freePort, makeTempDir, waitFor } from '@gitpaas/test-utils';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { alive, CLI, cleanEnv, cleanUpAfter, get, runCli, servedRevision, startCli } from './helpers.js';

cleanUpAfter();

/** `gitpaas demo --no-tour` in a temp dir of its own, once it serves: its ports, repository dir and app. */
async function startDemo() {
  const port = await freePort();
  const httpPort = await freePort();
  const demo = startCli(['demo', '--no-tour', `--port=${port}`, `--http-bind=127.0.0.1:${httpPort}`]);
  const repo = await waitFor(() => /repository (\S+)\/hello\.git/.exec(demo.stdout)?.[1], {
    timeout: 60_000,
    message: 'the demo to print its repository',
  }).catch((error: unknown) => {
    throw new Error(`${error}\n${demo.stdout}\n${demo.stderr}`);
  });
  await waitFor(() => demo.stdout.includes('Serving until Ctrl-C'), { timeout: 60_000 });
  const appPid = JSON.parse((await get(`http://127.0.0.1:${httpPort}/status`))!.body).reloader.pid as number;
  return { demo, port, repo, appPid };
}

describe('gitpaas demo', () => {
  it('--no-tour serves the example app and stops cleanly on SIGINT, leaving nothing running', async () => {
    const port = await freePort();
    const httpPort = await freePort();
    const dir = await makeTempDir('gitpaas-cli-test-');
    const demo = startCli([
      'demo',
      '--no-tour',
      `--port=${port}`,
      `--http-bind=127.0.0.1:${httpPort}`,
      `--dir=${dir}`,
    ]);
    await waitFor(() => demo.stdout.includes(`http://127.0.0.1:${port}`), {
      timeout: 60_000,
      message: 'the demo to print its URL',
    }).catch((error: unknown) => {
      throw new Error(`${error}\n${demo.stdout}\n${demo.stderr}`);
    });
    expect(demo.stdout).toContain('git clone');
    expect(await servedRevision(port)).toMatch(/^[0-9a-f]{40}$/);
    const page = await get(`http://127.0.0.1:${port}/`);
    expect(page?.body).toContain('Hello from gitpaas');
    const status = JSON.parse((await get(`http://127.0.0.1:${httpPort}/status`))!.body);
    const appPid = status.reloader.pid as number;
    expect(alive(appPid)).toBe(true);

    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(alive(appPid)).toBe(false);
    expect(await get(`http://127.0.0.1:${port}/`)).toBeUndefined();
    expect(await get(`http://127.0.0.1:${httpPort}/status`)).toBeUndefined();
  });

  it('stops everything and removes its temp dir when its terminal closes (SIGHUP)', async () => {
    const { demo, port, repo, appPid } = await startDemo();
    expect(alive(appPid)).toBe(true);

    demo.child.kill('SIGHUP');
    expect(await demo.exited).toBe(0);
    expect(alive(appPid)).toBe(false);
    expect(await get(`http://127.0.0.1:${port}/`)).toBeUndefined();
    await expect(access(repo)).rejects.toThrow();
  });

  it('stops cleanly when one Ctrl-C arrives twice (from the terminal and from a runner that forwards it)', async () => {
    const { demo, repo, appPid } = await startDemo();

    demo.child.kill('SIGINT');
    // the copy comes once the first has been handled (two pending at once would merge into one)
    await waitFor(() => demo.stderr.includes('stopping…'), { timeout: 30_000, interval: 5 });
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.stderr).toContain('sync  stopped');
    expect(alive(appPid)).toBe(false);
    await expect(access(repo)).rejects.toThrow();
  });

  it('says in one line that the port is busy', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const { code, stderr } = await runCli(
        ['demo', '--no-tour', `--port=${port}`, `--http-bind=127.0.0.1:${await freePort()}`],
        {
          timeout: 60_000,
        },
      );
      expect(code).toBe(2);
      expect(
        stderr
          .trimEnd()
          .split('\n')
          .filter((line) => line.startsWith('gitpaas demo:')),
      ).toHaveLength(1);
      expect(stderr).toMatch(new RegExp(`--port ${port}: .*already in use`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('tours a change going live, a broken push kept out and its revert, logs JSON, and exits with --exit-after-tour', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await runCli(
      [
        'demo',
        `--port=${port}`,
        `--http-bind=127.0.0.1:${await freePort()}`,
        '--exit-after-tour',
        '--period=500ms',
        '--log-format=json',
      ],
      { timeout: 150_000 },
    );
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/push to live in \d/);
    expect(stdout).toMatch(/release #\d+ marked failed/);
    expect(stdout).toMatch(/still serves [0-9a-f]{7}/);
    expect(stdout).toContain('Your turn');
    // --log-format json: every log line (git-sync, reloader, the app's output) is one JSON object
    const lines = stderr.trimEnd().split('\n');
    const records = lines.map((line) => JSON.parse(line) as { component?: string; msg: string });
    expect(new Set(records.map((record) => record.component))).toEqual(new Set(['sync', 'run', 'app']));
    expect(await get(`http://127.0.0.1:${port}/`)).toBeUndefined();
  }, 180_000);

  // util-linux `script` gives the CLI a terminal, as a person running it has.
  const noScript = existsSync('/usr/bin/script') ? '' : ' (skipped: util-linux script is not installed)';
  it.skipIf(noScript)(
    `on a terminal: colours and a spinner; with NO_COLOR: no colours${noScript}`,
    async () => {
      const run = async (env: NodeJS.ProcessEnv) => {
        const port = await freePort();
        const command = `stty cols 120 rows 40; '${process.execPath}' '${CLI}' demo --no-tour --exit-after-tour --port=${port} --http-bind=127.0.0.1:${await freePort()}`;
        const { stdout } = await execa('/usr/bin/script', ['-qfec', command, '/dev/null'], {
          // a person's terminal: CI (set by .ci/run) turns spinners off
          env: { ...cleanEnv(env), CI: undefined },
          extendEnv: false,
          timeout: 90_000,
        });
        return stdout;
      };
      const colourful = await run({ TERM: 'xterm' });
      expect(colourful).toContain('The example app is live');
      expect(colourful).toMatch(/\x1b\[3\dm/);
      expect(colourful).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏-](\x1b\[39m)? syncing file:/);
      const plain = await run({ TERM: 'xterm', NO_COLOR: '1' });
      expect(plain).toContain('The example app is live');
      expect(plain).not.toMatch(/\x1b\[3\dm/);
    },
    200_000,
  );
});
