import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isGitpaasSetting } from '@gitpaas/core';
import { freePort, makeTempDir, waitFor } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutputEvent } from '../src/index.js';
import { ReloaderHarness } from './harness.js';
import { hash } from './helpers.js';

const harness = new ReloaderHarness({});
afterEach(() => harness.cleanUp());

const SECRET = 'pw-7Hq2-never-shown';
/** What `gitpaas up` hands the reloader: git-sync's credentials in the environment, and its redactor. */
const GITPAAS_ENV = {
  GITSYNC_REPO: `https://deploy:${SECRET}@git.example/app.git`,
  GITSYNC_USERNAME: 'deploy',
  GITSYNC_PASSWORD: SECRET,
  GIT_SYNC_PASSWORD: SECRET,
  GITSYNC_TRIGGER_SECRET_FILE: '/run/secrets/trigger',
  GIT_SSH_KEY_FILE: '/etc/git-secret/ssh',
  GITPAAS_PORT: '8080',
};
const redact = (text: string) => text.split(SECRET).join('REDACTED');

/** The variables a printout of `env` (NAME=value lines) or of the app's JSON environment names. */
function namesIn(lines: string[]): string[] {
  const json = lines.find((line) => line.startsWith('env {'));
  if (json) return Object.keys(JSON.parse(json.slice('env '.length)) as object);
  return lines.flatMap((line) => /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line)?.[1] ?? []);
}

describe('secrets', () => {
  it('keeps git credentials out of the app and its build, and redacts a secret they print from output, logs, status and the ledger', async () => {
    const logged: unknown[] = [];
    const log = (level: string) => (msg: string, fields?: object) => logged.push([level, msg, fields]);
    const httpPort = await freePort();
    const stateDir = await makeTempDir('reloader-state-');
    const { layout, reloader, endedAs, liveOn } = await harness.setUp({
      env: { ...process.env, ...GITPAAS_ENV, APP_SETTING: 'kept' },
      redact,
      build: 'sh build.sh',
      stateDir,
      httpBind: `127.0.0.1:${httpPort}`,
      logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    });
    const outputs = new Map<string, string[]>();
    reloader.on('output', (e: OutputEvent) => {
      const key = `${e.revision}`;
      outputs.set(key, [...(outputs.get(key) ?? []), e.line]);
    });
    const build = (exit: number) => `env\necho "planted ${SECRET}"\nexit ${exit}\n`;
    // v1 builds and goes live, printing its environment and the secret; v2's build prints both and
    // fails; v3's app prints both and exits.
    await layout.add(hash('v1'), { printEnv: true, print: [`planted ${SECRET}`] }, { 'build.sh': build(0) });
    await layout.add(hash('v2'), {}, { 'build.sh': build(1) });
    await layout.add(
      hash('v3'),
      { mode: 'exit', printEnv: true, print: [`planted ${SECRET}`] },
      {
        'build.sh': build(0),
      },
    );
    await layout.flip(hash('v1'));
    await reloader.start();
    await liveOn(hash('v1'));
    await layout.flip(hash('v2'));
    await endedAs(hash('v2'), 'failed');
    await layout.flip(hash('v3'));
    await endedAs(hash('v3'), 'failed');

    const v1 = outputs.get(hash('v1')) ?? [];
    const v2 = outputs.get(hash('v2')) ?? [];
    const v3 = outputs.get(hash('v3')) ?? [];
    // The build's `env` and the app's JSON environment: no setting of gitpaas, what the app needs is there.
    for (const lines of [v1, v2, v3]) expect(lines).toContain('planted REDACTED');
    const appNames = namesIn(v1);
    const buildNames = namesIn(v2);
    for (const names of [appNames, buildNames]) {
      expect(names).toContain('PATH');
      expect(names).toContain('APP_SETTING');
      expect(names).toContain('GITPAAS_REVISION');
      expect(names).toContain('GITPAAS_RELEASE_DIR');
      expect(names.filter(isGitpaasSetting).sort()).toEqual(
        names.filter((n) => /^GITPAAS_(REVISION|RELEASE_DIR|RUN_ID)$/.test(n)).sort(),
      );
    }
    expect(appNames).toContain('PORT');

    const status = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${httpPort}/status`);
        const body = await res.text();
        return body.includes(hash('v3')) ? body : undefined;
      },
      { message: '/status to list v3' },
    );
    await reloader.stop();
    const ledger = await readFile(join(stateDir, 'releases.jsonl'), 'utf8');
    const failed = reloader.status().releases.filter((release) => release.outcome === 'failed');
    expect(failed.flatMap((release) => release.lastOutput)).toContain('planted REDACTED');
    for (const [name, text] of [
      ['output events', [...outputs.values()].flat().join('\n')],
      ['/status', status],
      ['releases.jsonl', ledger],
      ['log lines', JSON.stringify(logged)],
    ] as const) {
      expect(text.includes(SECRET), `${name} hold the secret`).toBe(false);
    }
    expect(ledger).toContain('planted REDACTED');
  });
});
