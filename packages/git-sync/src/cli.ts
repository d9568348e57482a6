#!/usr/bin/env node
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { createLogger, defineOptions, FlagError, parseOptions, renderHelp } from '@gitpaas/core';
import { toGitSyncOptions } from './config.js';
import { GitSyncError } from './errors.js';
import { createGitSync } from './git-sync.js';
import { options } from './options.js';
import { applyV3Flags, v3Options } from './v3-flags.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

// The bin's JavaScript is glue around git processes: nothing in it runs hot enough for V8's
// optimizing compiler to pay back the ~5 MB of resident memory its code takes once it first runs
// (benchmarks/README.md, idle: RSS and CPU per poll with and without). Set before anything is hot.
setFlagsFromString('--no-opt');

// The bin also reads kubernetes/git-sync's v3 flag names, as the peer's v4 bin does, and
// --group-write, which sets this process's umask (a library must not change that for its host).
const binOptions = defineOptions({
  envPrefixes: options.envPrefixes,
  options: [
    ...options.options,
    {
      name: 'group-write',
      type: 'bool',
      default: false,
      group: 'Files',
      help: 'make everything git-sync writes (repository, worktrees) group-writable (umask 002 instead of 022)',
    },
    ...v3Options,
  ],
});

function usageError(message: string): never {
  process.stderr.write(`git-sync: ${message}\n`);
  process.exit(2);
}

let values: ReturnType<typeof parseOptions>['values'];
let v3Notes: string[] = [];
try {
  const parsed = parseOptions(binOptions, { argv: process.argv.slice(2), env: process.env });
  if (parsed.positionals.length)
    usageError(
      `unexpected argument ${JSON.stringify(parsed.positionals[0])}: run with --help to see the flags`,
    );
  ({ values, notes: v3Notes } = applyV3Flags(parsed.values));
} catch (error) {
  if (error instanceof FlagError || error instanceof GitSyncError) usageError(error.message);
  throw error;
}

if (values.help) {
  process.stdout.write(
    renderHelp(binOptions, {
      usage: 'git-sync --repo <url> --root <dir> [flags]',
      description:
        'Keeps <root>/<link> pointing at a complete checkout of --ref, swapped atomically on every change (a drop-in for kubernetes/git-sync v4).',
      examples: [
        'git-sync --repo https://github.com/org/app --root /git --period 30s',
        'git-sync --repo git@github.com:org/app.git --root /git --ssh-key-file /etc/git-secret/ssh --one-time',
      ],
    }),
  );
  process.exit(0);
}
if (values.version) {
  process.stdout.write(`git-sync ${version} (@gitpaas/git-sync)\n`);
  process.exit(0);
}

// As kubernetes/git-sync: git and the hooks inherit it, so files and directories get g+w or not.
const { groupWrite, ...syncValues } = values;
process.umask(groupWrite ? 0o002 : 0o022);

let gitSyncOptions: ReturnType<typeof toGitSyncOptions>;
try {
  gitSyncOptions = toGitSyncOptions(syncValues);
} catch (error) {
  if (error instanceof GitSyncError) usageError(error.message);
  throw error;
}

// JSON lines on stderr, written synchronously so nothing is lost on exit (like kubernetes/git-sync).
// -v 1 and up add debug lines (the peer's levels above 1 add nothing more here).
const logger = createLogger({ format: 'json', name: 'git-sync', debug: Number(values.verbose ?? 0) >= 1 });

for (const note of v3Notes) logger.info(note);

// Metrics are kept only when GET /metrics can serve them: otherwise prom-client is never loaded.
const metrics = Boolean(gitSyncOptions.httpBind && gitSyncOptions.httpMetrics);
const gitSync = createGitSync({ ...gitSyncOptions, logger, metrics });
let exiting = false;
const exit = async (code: number) => {
  if (exiting) return;
  exiting = true;
  await gitSync.stop();
  process.exit(code);
};
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void exit(0));
gitSync.on('fatal', () => void exit(1));

try {
  await gitSync.start();
  if (gitSyncOptions.oneTime) {
    logger.info('exiting after one sync', { status: 0 });
    await exit(0);
  }
} catch (error) {
  if (error instanceof GitSyncError) {
    if (error.code !== 'E_STOPPED') {
      // Failures inside the loop were logged already; this is for start-up errors (e.g. --http-bind).
      if (!gitSync.status().lastError) logger.error(error.message, { code: error.code });
      await exit(error.exitCode);
    }
  } else {
    logger.error('unexpected error', { error: String(error) });
    await exit(1);
  }
}
