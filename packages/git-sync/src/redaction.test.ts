import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  makeTempDir,
  removeTempDirs,
  spawnBin,
  startHttpGitServer,
  TestRemote,
  waitFor,
} from '../test/helpers/index.js';

afterEach(removeTempDirs);

const FILE_SECRET = 'pw-file-S3CRET-7f1c';
const URL_SECRET = 'url-T0KEN-9a2b';
const ENV_SECRET = 'env-S3CRET-41de';
const SECRETS = [FILE_SECRET, URL_SECRET, ENV_SECRET];

/** Runs the bin until it has succeeded or failed once, then collects everything it showed anyone. */
async function everythingShown(
  args: string[],
  env: Record<string, string>,
  root: string,
  wantReady: boolean,
): Promise<string> {
  const port = await freePort();
  const bin = spawnBin(
    [
      ...args,
      '--root',
      root,
      '--http-bind',
      `127.0.0.1:${port}`,
      '--http-metrics',
      '--error-file',
      'error.json',
      '--max-failures',
      '-1',
      '--period',
      '100ms',
      '-v',
      '5',
    ],
    { env },
  );
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      async () =>
        wantReady ? (await fetch(`${base}/`)).status === 200 : existsSync(join(root, 'error.json')),
      { message: wantReady ? 'a successful sync' : 'a failed sync' },
    );
    const status = await (await fetch(`${base}/status`)).text();
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const errorFile = existsSync(join(root, 'error.json'))
      ? await readFile(join(root, 'error.json'), 'utf8')
      : '';
    await bin.stop();
    return [bin.output(), status, metrics, errorFile].join('\n');
  } finally {
    await bin.stop();
  }
}

function expectNoSecret(text: string): void {
  for (const secret of SECRETS) {
    for (const form of [
      secret,
      encodeURIComponent(secret),
      Buffer.from(`deploy:${secret}`).toString('base64'),
    ]) {
      expect(text).not.toContain(form);
    }
  }
}

describe('secrets never leave', () => {
  it('redacts passwords and URL tokens from logs, errors, the error file, /status and /metrics', async () => {
    const dir = await makeTempDir();
    await TestRemote.create(dir);
    const server = await startHttpGitServer(dir, { username: 'deploy', password: FILE_SECRET });
    try {
      const passwordFile = join(dir, 'password');
      await writeFile(passwordFile, `${FILE_SECRET}\n`);
      const repo = `${server.url}/repo.git`;
      const withToken = repo.replace('http://', `http://deploy:${URL_SECRET}@`);

      const succeeded = await everythingShown(
        ['--repo', repo, '--username', 'deploy', '--password-file', passwordFile],
        {},
        join(dir, 'ok'),
        true,
      );
      expect(succeeded).toContain('updated successfully');
      expectNoSecret(succeeded);

      const failedUrl = await everythingShown(['--repo', withToken], {}, join(dir, 'bad-url'), false);
      expect(failedUrl).toContain('E_AUTH');
      // The URL is shown (status, logs) with its credentials taken out, not merely masked.
      expect(failedUrl).toContain(`"repo":"${repo}"`);
      expectNoSecret(failedUrl);

      const failedEnv = await everythingShown(
        ['--repo', repo, '--username', 'deploy'],
        { GITSYNC_PASSWORD: ENV_SECRET },
        join(dir, 'bad-env'),
        false,
      );
      expect(failedEnv).toContain('E_AUTH');
      expectNoSecret(failedEnv);

      // The server really was asked with the secrets: the grep above is not vacuous.
      expect(server.credentials).toEqual(
        expect.arrayContaining([`deploy:${FILE_SECRET}`, `deploy:${URL_SECRET}`, `deploy:${ENV_SECRET}`]),
      );
    } finally {
      await server.stop();
    }
  });
});
