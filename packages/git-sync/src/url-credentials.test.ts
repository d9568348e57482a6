import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import {
  makeTempDir,
  removeTempDirs,
  runBin,
  script,
  startHttpGitServer,
  TestRemote,
} from '../test/helpers/index.js';
import { resolveOptions } from './config.js';

afterEach(removeTempDirs);

const SECRET = 'url-pw-S3CRET-5c2e';
const TOKEN = 'ghp_urlT0KEN8d1f';

interface GitCall {
  argv: string[];
  env: Map<string, string>;
}

/** A `git` first on PATH that records each call's argv and environment, then runs the real git. */
async function recordingGit(dir: string): Promise<{ path: string; calls: () => Promise<GitCall[]> }> {
  const real = (await execa('sh', ['-c', 'command -v git'])).stdout.trim();
  const bin = join(dir, 'wrapped-bin');
  const log = join(dir, 'git-calls');
  await execa('mkdir', ['-p', bin, log]);
  await script(
    bin,
    'git',
    `d=$(mktemp -d '${log}/call.XXXXXX')\nprintf '%s\\0' "$@" > "$d/argv"\nenv -0 > "$d/env"\nexec '${real}' "$@"`,
  );
  const split = (text: string) => text.split('\0').filter(Boolean);
  return {
    path: `${bin}:${process.env.PATH}`,
    calls: async () =>
      Promise.all(
        (await readdir(log)).map(async (name) => ({
          argv: split(await readFile(join(log, name, 'argv'), 'utf8')),
          env: new Map(
            split(await readFile(join(log, name, 'env'), 'utf8')).map((line) => {
              const eq = line.indexOf('=');
              return [line.slice(0, eq), line.slice(eq + 1)] as [string, string];
            }),
          ),
        })),
      ),
  };
}

/** Commands that reach the remote: the only ones allowed to hold the credential (in the helper's variable). */
const REMOTE_COMMANDS = ['ls-remote', 'fetch', 'submodule'];

/** The git command of an argv, after options such as `-c key=value`. */
function subcommand(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-c') i++;
    else if (!argv[i]!.startsWith('-')) return argv[i];
  }
  return undefined;
}

function expectSecretOnlyWithTheHelper(calls: GitCall[], secret: string): void {
  // A first sync into an empty root: init, fetch and worktree add at least.
  expect(calls.length).toBeGreaterThanOrEqual(3);
  for (const call of calls) {
    const forms = [secret, encodeURIComponent(secret)];
    expect(call.argv.join(' '), 'argv of a git call').not.toMatch(new RegExp(forms.join('|')));
    const holders = [...call.env].filter(([, value]) => forms.some((form) => value.includes(form)));
    const allowed = REMOTE_COMMANDS.includes(subcommand(call.argv) ?? '')
      ? ['GITSYNC_AUTH_USERNAME', 'GITSYNC_AUTH_PASSWORD']
      : [];
    for (const [name] of holders) expect(allowed, `git ${subcommand(call.argv)} env ${name}`).toContain(name);
    expect(call.env.get('GIT_ASKPASS') ?? '').not.toContain(secret);
  }
  // The fetch really got the credential (through the helper's variable), so the checks above are not vacuous.
  expect(calls.some((call) => [...call.env.values()].some((value) => value === secret))).toBe(true);
}

describe('credentials in --repo never reach a command line', () => {
  it('takes user:password out of GITSYNC_REPO and hands it to git through the credential helper', async () => {
    const dir = await makeTempDir();
    const remote = await TestRemote.create(dir);
    const server = await startHttpGitServer(dir, { username: 'deploy', password: SECRET });
    try {
      const git = await recordingGit(dir);
      const repo = server.url.replace('http://', `http://deploy:${SECRET}@`);
      const result = await runBin(['--root', join(dir, 'root'), '--link', 'app', '--one-time', '-v', '1'], {
        env: { GITSYNC_REPO: `${repo}/repo.git`, PATH: git.path },
      });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(await readlink(join(dir, 'root', 'app'))).toBe(`.worktrees/${await remote.hash()}`);
      expect(server.credentials).toContain(`deploy:${SECRET}`);
      expect(result.stderr).not.toContain(SECRET);
      expectSecretOnlyWithTheHelper(await git.calls(), SECRET);
    } finally {
      await server.stop();
    }
  });

  it('sends a lone token in --repo (https://<token>@host) as the user name, as git would', async () => {
    const dir = await makeTempDir();
    await TestRemote.create(dir);
    const server = await startHttpGitServer(dir, { username: TOKEN, password: '' });
    try {
      const git = await recordingGit(dir);
      const repo = `${server.url.replace('http://', `http://${TOKEN}@`)}/repo.git`;
      const result = await runBin(['--repo', repo, '--root', join(dir, 'root'), '--one-time'], {
        env: { PATH: git.path },
      });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(server.credentials).toContain(`${TOKEN}:`);
      const calls = await git.calls();
      for (const call of calls) expect(call.argv.join(' ')).not.toContain(TOKEN);
      expect(calls.some((call) => subcommand(call.argv) === 'fetch')).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('uses the user of --repo with --password-file, and refuses credentials given twice that differ', async () => {
    const dir = await makeTempDir();
    const passwordFile = join(dir, 'password');
    await writeFile(passwordFile, 'from-the-file\n');
    const base = { root: join(dir, 'root') };
    expect(resolveOptions({ ...base, repo: 'https://deploy@git.example/app', passwordFile })).toMatchObject({
      repo: 'https://git.example/app',
      username: 'deploy',
      passwordFile,
    });
    expect(
      resolveOptions({
        ...base,
        repo: 'https://deploy:pw1@git.example/app',
        username: 'deploy',
        password: 'pw1',
      }),
    ).toMatchObject({ repo: 'https://git.example/app', username: 'deploy', password: 'pw1' });
    for (const conflict of [
      { repo: 'https://deploy:pw1@git.example/app', username: 'other' },
      { repo: 'https://deploy:pw1@git.example/app', username: 'deploy', password: 'pw2' },
      { repo: 'https://deploy:pw1@git.example/app', username: 'deploy', passwordFile },
    ]) {
      expect(() => resolveOptions({ ...base, ...conflict })).toThrow(/give the credentials once/);
    }
    const result = await runBin([
      '--repo',
      'https://deploy:pw1@git.example/app',
      '--root',
      base.root,
      '--username',
      'x',
    ]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toContain('pw1');
  });
});
