import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY } from './helpers.js';

// The app image's entrypoint only turns its arguments into a reloader command line, so a
// `reloader` on PATH that prints its argv shows exactly what the image would run.
describe('gitpaas-app (the app image entrypoint)', () => {
  let bin: string;
  beforeAll(() => {
    bin = mkdtempSync(join(tmpdir(), 'gitpaas-entrypoint-'));
    writeFileSync(join(bin, 'reloader'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
    chmodSync(join(bin, 'reloader'), 0o755);
  });
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  const run = (args: string[], env: Record<string, string> = {}) => {
    const result = spawnSync('sh', [join(DEPLOY, 'images', 'app', 'gitpaas-app'), ...args], {
      encoding: 'utf8',
      env: { PATH: `${bin}:/usr/bin:/bin`, ...env },
    });
    return { status: result.status, argv: result.stdout.split('\n').filter(Boolean), stderr: result.stderr };
  };

  it('runs the arguments as the app command', () => {
    expect(run(['node', 'server.js'])).toMatchObject({ status: 0, argv: ['--', 'node', 'server.js'] });
  });

  it('passes reloader flags and the command after -- through unchanged', () => {
    const args = ['--build', 'npm ci', '--', 'npm', 'start'];
    expect(run(args)).toMatchObject({ status: 0, argv: args });
  });

  it('runs APP_COMMAND through sh when there are no arguments', () => {
    expect(run([], { APP_COMMAND: 'node server.js --port "$PORT"' })).toMatchObject({
      status: 0,
      argv: ['--', 'sh', '-c', 'node server.js --port "$PORT"'],
    });
  });

  it('runs the reloader with no command, to detect it, when there is neither', () => {
    expect(run([])).toMatchObject({ status: 0, argv: [] });
  });
});
