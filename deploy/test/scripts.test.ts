import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOY, hasCommand } from './helpers.js';

const SCRIPTS = [
  'e2e/run.sh',
  'e2e/kube-api.sh',
  'e2e/kube-apiserver.sh',
  'images/build.sh',
  'images/base/build-base.sh',
];
const hasShellcheck = hasCommand('shellcheck');

describe('shell scripts', () => {
  it.each(SCRIPTS)('%s parses (bash -n)', (script) => {
    execFileSync('bash', ['-n', join(DEPLOY, script)]);
  });

  it.skipIf(!hasShellcheck)(
    `pass shellcheck${hasShellcheck ? '' : ' (skipped: shellcheck is not installed)'}`,
    () => {
      const scripts = [...SCRIPTS.map((s) => join(DEPLOY, s)), join(DEPLOY, 'images', 'app', 'gitpaas-app')];
      const result = spawnSync('shellcheck', ['-x', ...scripts], { encoding: 'utf8' });
      expect(result.stdout).toBe('');
      expect(result.status).toBe(0);
    },
  );
});
