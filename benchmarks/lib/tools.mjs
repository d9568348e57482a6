// The contenders. Each start() returns { port, group(s), trigger? } once its processes run;
// stop() ends everything it started. The seed is the bash loop from DESIGN.md in a working
// clone plus a file-watching restarter; gitpaas is the built `gitpaas up` bin.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGroup, stopGroup } from './processes.mjs';
import { git } from './repo.mjs';

const require = createRequire(import.meta.url);
const NODEMON = join(dirname(require.resolve('nodemon/package.json')), 'bin', 'nodemon.js');
export const GITPAAS = fileURLToPath(new URL('../../packages/cli/dist/cli.js', import.meta.url));

export const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

const appEnv = (port, ctx) => ({
  PORT: String(port),
  BENCH_START_LOG: ctx.startLog,
  BENCH_START_DELAY_MS: String(ctx.delayMs),
});

function seed(watcher) {
  return async (ctx) => {
    const served = join(ctx.dir, 'served');
    git(['clone', '-q', ctx.repo.url, served]);
    const port = await freePort();
    const seconds = (ctx.periodMs / 1000).toString();
    // The seed recipe, verbatim apart from -q and the period.
    const loop = startGroup('bash', ['-c', `while true; do git pull -q; sleep ${seconds}; done`], {
      cwd: served,
    });
    const args = watcher === 'nodemon' ? [NODEMON, 'server.js'] : ['--watch', 'server.js'];
    const app = startGroup(process.execPath, args, { cwd: served, env: appEnv(port, ctx) });
    return {
      port,
      leader: app,
      restartPattern: watcher === 'nodemon' ? /restarting due to changes/ : /^Restarting '/,
      async stop() {
        await stopGroup(loop, { graceMs: 2000 });
        await stopGroup(app, { graceMs: 5000 });
      },
    };
  };
}

function gitpaas({ trigger }) {
  return async (ctx) => {
    if (!existsSync(GITPAAS)) throw new Error(`${GITPAAS} is missing: run \`pnpm build\` first`);
    const port = await freePort();
    const httpBind = `127.0.0.1:${await freePort()}`;
    const up = startGroup(
      process.execPath,
      [
        GITPAAS,
        'up',
        `--repo=${ctx.repo.url}`,
        '--ref=main',
        `--root=${join(ctx.dir, 'srv')}`,
        `--period=${ctx.periodMs}ms`,
        `--port=${port}`,
        '--host=127.0.0.1',
        `--http-bind=${httpBind}`,
        '--ready-path=/healthz',
        // The old child finishes in-flight requests, then stops; 30 s (the default) would only
        // keep idle processes around between the benchmark's pushes.
        '--drain-timeout=2s',
        '--log-format=json',
        '--',
        process.execPath,
        'server.js',
      ],
      { cwd: ctx.dir, env: { BENCH_START_LOG: ctx.startLog, BENCH_START_DELAY_MS: String(ctx.delayMs) } },
    );
    return {
      port,
      leader: up,
      restartPattern: null,
      trigger: trigger
        ? async () => {
            // Loopback callers need no secret (packages/git-sync trigger).
            const response = await fetch(`http://${httpBind}/sync`, { method: 'POST' });
            if (!response.ok) throw new Error(`POST /sync answered ${response.status}`);
          }
        : undefined,
      async stop() {
        // SIGTERM to gitpaas alone: it drains and stops its children (own process groups).
        await stopGroup(up, { graceMs: 15_000, wholeGroup: false });
      },
    };
  };
}

export const TOOLS = {
  'seed + nodemon': seed('nodemon'),
  'seed + node --watch': seed('node --watch'),
  'gitpaas up (poll)': gitpaas({ trigger: false }),
  'gitpaas up (POST /sync)': gitpaas({ trigger: true }),
};
