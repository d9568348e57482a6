import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { gitEnv, listen, makeTempDir, removeTempDirs, runBin } from '../test/helpers/index.js';
import { refProblem } from './ref.js';

afterEach(removeTempDirs);

const HOSTILE = [
  '--upload-pack=touch /tmp/pwned',
  '-x',
  'a..b',
  'a b',
  'a~1',
  'main^',
  'main^{}',
  'a:b',
  'a?',
  'a*',
  'a[0]',
  'a\\b',
  'refs/heads/x.lock',
  'x.lock/y',
  '@{-1}',
  'main@{yesterday}',
  '@',
  'x\n',
  'x\r',
  'tab\there',
  'del\x7f',
  'nul\x00',
  '/main',
  'main/',
  'a//b',
  'main.',
  '.hidden',
  'refs/.x',
  '',
];

const GOOD = [
  'HEAD',
  'main',
  'feature/login-form',
  'v1.2.3',
  'refs/heads/main',
  'refs/tags/v1.0',
  'release_2024-01',
  'a@b',
  'abc1234',
  'a'.repeat(40),
  'b'.repeat(64),
  'ABCDEF0123456789ABCDEF0123456789ABCDEF01',
];

describe('--ref follows git ref-format rules', () => {
  it.each(HOSTILE.map((ref) => [JSON.stringify(ref), ref]))('refuses %s', (_, ref) => {
    expect(refProblem(ref)).not.toBeNull();
  });

  it.each(GOOD)('accepts %s', (ref) => {
    expect(refProblem(ref)).toBeNull();
  });

  it('agrees with git check-ref-format --allow-onelevel on every name git can be asked about', async () => {
    // git reads a leading '-' as an option, and has no opinion on HEAD or hashes: those are ours.
    const asked = [...HOSTILE, ...GOOD].filter((ref) => ref && !ref.startsWith('-') && !ref.includes('\0'));
    for (const ref of asked) {
      const git = await execa('git', ['check-ref-format', '--allow-onelevel', ref], {
        env: gitEnv,
        reject: false,
      });
      expect(refProblem(ref) === null, JSON.stringify(ref)).toBe(git.exitCode === 0);
    }
  });

  it('exits 2 with one line naming --ref before any network call or any change to --root', async () => {
    const dir = await makeTempDir();
    let requests = 0;
    const server = await listen((_req, res) => {
      requests++;
      res.writeHead(404).end();
    });
    try {
      for (const ref of ['--upload-pack=touch /tmp/x', 'a..b', 'x\n', 'main@{1}']) {
        const root = join(dir, 'root');
        const result = await runBin(['--repo', `${server.url}/repo.git`, '--root', root, '--ref', ref]);
        expect(result.exitCode, ref).toBe(2);
        expect(result.stderr.trim().split('\n'), ref).toHaveLength(1);
        expect(result.stderr).toMatch(
          /^git-sync: --ref ".*" .*: use a branch, tag, full or short hash, or HEAD/,
        );
        expect(existsSync(root)).toBe(false);
      }
      expect(requests).toBe(0);
    } finally {
      await server.close();
    }
  });
});
