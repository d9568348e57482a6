import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isGitpaasSetting } from '@gitpaas/core';
import { freePort, makeTempDir, startHttpGitServer, TestRemote, waitFor } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanEnv, cleanUpAfter, get, startCli } from './helpers.js';

const SECRET = 'pw-Zq81-never-shown';

/** An app that writes its environment to $DUMP_DIR, prints it, prints a secret it came to know, and serves. */
const SERVER = `const fs = require('node:fs');
const http = require('node:http');
const dump = process.env.DUMP_DIR;
fs.writeFileSync(dump + '/app-' + process.pid + '.env', JSON.stringify(process.env));
console.log('env ' + JSON.stringify(process.env));
console.log(fs.readFileSync(dump + '/../planted', 'utf8').trim());
http.createServer((req, res) => res.end(req.url === '/healthz' ? 'ok' : process.env.GITPAAS_REVISION))
  .listen(Number(process.env.PORT), '127.0.0.1');
`;
const build = (exit: number) =>
  `env | tee "$DUMP_DIR/build-$$.env"\ncat "$DUMP_DIR/../planted"\nexit ${exit}\n`;
const hook = (name: string) => `#!/bin/sh\nenv > "$DUMP_DIR/${name}-$$.env"\ncat "$DUMP_DIR/../planted"\n`;

/** The names in a dump: NAME=value lines, or a JSON object. */
function names(text: string): string[] {
  if (text.startsWith('{')) return Object.keys(JSON.parse(text) as object);
  return text.split('\n').flatMap((line) => /^([A-Za-z_]\w*)=/.exec(line)?.[1] ?? []);
}

cleanUpAfter(afterEach);

describe('gitpaas up with git credentials', () => {
  it('keeps them out of the app, its build and the hooks, and out of every output channel', async () => {
    const dir = await makeTempDir('gitpaas-cli-test-');
    const dumps = join(dir, 'dumps');
    await writeFile(join(dir, 'planted'), `planted ${SECRET}\n`);
    await import('node:fs/promises').then((fs) => fs.mkdir(dumps));
    const remote = await TestRemote.create(dir, 'app.git');
    const first = await remote.commit({ 'server.js': SERVER, 'build.sh': build(0) }, 'the app');
    const server = await startHttpGitServer(dir, { username: 'deploy', password: SECRET });
    const hooks: Record<string, string> = {};
    for (const name of ['exechook', 'gate']) {
      hooks[name] = join(dir, `${name}.sh`);
      await writeFile(hooks[name]!, hook(name), { mode: 0o755 });
    }
    const trigger = join(dir, 'trigger-secret');
    await writeFile(trigger, 'trigger-Secret-9x\n');
    const port = await freePort();
    const statusUrl = `http://127.0.0.1:${await freePort()}`;
    const root = join(dir, 'srv');
    const url = new URL(server.url);
    try {
      // The password three ways: in the URL, as --password (v3 env name), and in a file the app reads.
      const up = startCli(
        [
          'up',
          `--root=${root}`,
          `--port=${port}`,
          '--host=127.0.0.1',
          `--http-bind=${statusUrl.slice('http://'.length)}`,
          '--http-metrics',
          '--ready-path=/healthz',
          '--period=300ms',
          '--build=sh build.sh',
          `--exechook-command=${hooks.exechook}`,
          `--pre-publish-exechook-command=${hooks.gate}`,
          '--',
          'node',
          'server.js',
        ],
        {
          env: cleanEnv({
            GITSYNC_REPO: `http://deploy:${SECRET}@${url.host}/app.git`,
            GITSYNC_USERNAME: 'deploy',
            GIT_SYNC_PASSWORD: SECRET,
            GITSYNC_TRIGGER_SECRET_FILE: trigger,
            DUMP_DIR: dumps,
          }),
        },
      );
      const log = () => `\n--- stderr\n${up.stderr}`;
      await waitFor(async () => (await get(`http://127.0.0.1:${port}/`))?.body === first, {
        timeout: 60_000,
        message: 'the app to serve',
      }).catch((error: unknown) => {
        throw new Error(`${error}${log()}`);
      });
      const broken = await remote.commit({ 'build.sh': build(1) }, 'a build that fails');
      const status = await waitFor(
        async () => {
          const body = (await get(`${statusUrl}/status`))?.body ?? '';
          return body.includes(broken) && /"outcome": "failed"/.test(body) ? body : undefined;
        },
        { timeout: 60_000, message: 'the failed build in /status' },
      );
      const metrics = (await get(`${statusUrl}/metrics`))?.body ?? '';
      await waitFor(async () => (await readdir(dumps)).some((file) => file.startsWith('exechook-')), {
        message: 'the exechook to run',
      });
      up.child.kill('SIGTERM');
      expect(await up.exited).toBe(0);
      const ledger = await readFile(`${root}.state/releases.jsonl`, 'utf8');
      expect(up.stderr).toContain('planted REDACTED');
      expect(ledger).toContain('planted REDACTED');
      for (const [name, text] of Object.entries({
        stdout: up.stdout,
        stderr: up.stderr,
        status,
        metrics,
        ledger,
      }))
        expect(text.includes(SECRET), `${name} holds the secret`).toBe(false);

      const files = await readdir(dumps);
      for (const kind of ['app-', 'build-', 'exechook-', 'gate-'])
        expect(
          files.some((file) => file.startsWith(kind)),
          `${kind} dump`,
        ).toBe(true);
      for (const file of files) {
        const text = await readFile(join(dumps, file), 'utf8');
        expect(text.includes(SECRET), `${file} holds the secret`).toBe(false);
        expect(text.includes(trigger), `${file} names the trigger secret file`).toBe(false);
        const own = names(text).filter(isGitpaasSetting);
        const allowed = /^(GITPAAS_(REVISION|RELEASE_DIR|RUN_ID)|GITSYNC_(PREVIOUS_)?HASH)$/;
        expect(
          own.filter((name) => !allowed.test(name)),
          file,
        ).toEqual([]);
        expect(names(text)).toContain('DUMP_DIR');
      }
    } finally {
      await server.stop();
    }
  });
});
