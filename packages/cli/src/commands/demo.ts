import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { parseOptions } from '@gitpaas/core';
import { defineCommand } from '../command.js';
import { createDemoRepo, exampleAppDir } from '../demo-repo.js';
import { commandTable, logFormatOption } from '../flags.js';
import { tour } from '../tour.js';
import { createUp } from '../up.js';
import { toUpConfig, options as upOptions } from '../up-options.js';
import { aborted, loggerFor, runUp } from './up.js';

export const demoOptions = commandTable([
  {
    name: 'port',
    type: 'int',
    default: 8080,
    min: 1,
    max: 65535,
    help: 'The port the example app is served on',
  },
  {
    name: 'http-bind',
    type: 'string',
    valueName: '<host:port>',
    help: 'Status, metrics and the sync trigger (default: 127.0.0.1 and the port after --port)',
  },
  {
    name: 'dir',
    type: 'string',
    valueName: '<dir>',
    help: 'Keep the repository and worktrees here (default: a temp dir, removed on exit)',
  },
  { name: 'no-tour', type: 'bool', help: 'Only serve: skip the change, the broken push and the revert' },
  {
    name: 'exit-after-tour',
    type: 'bool',
    help: 'Stop once the tour is done instead of serving until Ctrl-C (for scripts and CI)',
  },
  {
    name: 'period',
    type: 'duration',
    default: 2000,
    min: 10,
    help: 'How often the demo asks the repository for news',
  },
  logFormatOption,
]);

const READY_TIMEOUT_MS = 5000;

/** How to run this CLI again as the user did: `gitpaas`, or `node packages/cli/dist/cli.js` in a checkout. */
function self(cwd: string): string {
  const script = process.argv[1] ?? '';
  return basename(script) === 'gitpaas' || !script ? 'gitpaas' : `node ${relative(cwd, script) || script}`;
}

export const demoCommand = defineCommand({
  name: 'demo',
  options: demoOptions,
  help: {
    usage: 'gitpaas demo [--port 8080] [--dir <dir>] [--no-tour]',
    description:
      'Needs only Node and git. Creates a local bare repository seeded with the example app, runs\n' +
      '`gitpaas up` on it and prints the URL; then (unless --no-tour) pushes a change and shows it\n' +
      'live with the measured push-to-live time, pushes a broken revision and shows the old one still\n' +
      'serving, and reverts it. Keeps serving until Ctrl-C, which stops everything.',
    examples: [
      'gitpaas demo',
      'gitpaas demo --port 3000 --no-tour',
      'gitpaas demo --dir ./demo --exit-after-tour --log-format json',
    ],
  },
  async run(v, _parsed, context) {
    const c = context.terminal.out.colors;
    const dir = v.dir ? resolve(context.cwd, v.dir) : await mkdtemp(join(tmpdir(), 'gitpaas-demo-'));
    try {
      const repo = await createDemoRepo(dir, await exampleAppDir());
      const httpBind = v.httpBind ?? `127.0.0.1:${v.port === 65535 ? v.port - 1 : v.port + 1}`;
      // The demo is `up` with flags a person would type: same parsing, same defaults.
      const upParsed = parseOptions(upOptions, {
        argv: [
          `--repo=file://${repo.bare}`,
          '--ref=main',
          `--root=${join(dir, 'srv')}`,
          `--state-dir=${join(dir, 'state')}`,
          `--period=${v.period}ms`,
          `--port=${v.port}`,
          '--host=127.0.0.1',
          `--http-bind=${httpBind}`,
          '--http-metrics',
          '--ready-path=/healthz',
          `--ready-timeout=${READY_TIMEOUT_MS}ms`,
          '--drain-timeout=2s',
          `--log-format=${v.logFormat}`,
          '--',
          process.execPath,
          'server.js',
        ],
        env: {},
      });
      const config = toUpConfig(upParsed, context.env, context.cwd);
      const { logger, progress } = loggerFor(v.logFormat, context);
      const out = progress.wrap(context.terminal.out);
      const up = createUp({ config, logger, progress });
      const appUrl = `http://127.0.0.1:${v.port}`;
      await runUp(up, context, logger, async (running) => {
        out.write(
          `\n${c.green('●')} The example app is live at ${c.bold(c.cyan(appUrl))}\n` +
            `  repository ${repo.bare}\n  status     ${running.url}/status   (or: ${self(context.cwd)} status --url ${running.url})\n`,
        );
        if (!v.noTour) {
          await tour({
            up: running,
            repo,
            appUrl,
            readyTimeoutMs: READY_TIMEOUT_MS,
            out,
            signal: context.signal,
          });
        }
        out.write(
          `\n${c.bold('Your turn')} — push your own change:\n` +
            `  git clone ${repo.bare} my-hello && cd my-hello\n` +
            '  echo "My first deploy" > message.txt && git commit -am "My change" && git push\n' +
            `  then open ${appUrl} (live within ~${Math.ceil(v.period / 1000)}s, or now with: curl -X POST ${running.url}/sync)\n`,
        );
        if (v.exitAfterTour) return;
        out.write(`\n${c.dim(`Serving until Ctrl-C${v.dir ? '' : `; ${dir} is removed on exit`}.`)}\n`);
        await aborted(context.signal);
      });
      return 0;
    } finally {
      if (!v.dir) await rm(dir, { recursive: true, force: true });
    }
  },
});
