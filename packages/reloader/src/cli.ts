#!/usr/bin/env node
import { createRequire } from 'node:module';
import {
  createLogger,
  debugRequested,
  exitCodeOf,
  FlagError,
  type Logger,
  oneLine,
  parseOptions,
  renderHelp,
} from '@gitpaas/core';
import { shortRevision } from './format.js';
import { options, toReloaderOptions } from './options.js';
import { runUnderInit } from './pid1.js';
import { createReloader } from './reloader.js';
import type { Reloader } from './types.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const HELP = {
  usage: 'reloader [options] [-- <command> [args…]]',
  description:
    'Runs the command from the published revision and replaces it when the link moves: with --port, the new\nprocess starts beside the old one and traffic switches only once it is ready; if it fails, the old keeps serving.\n--help prints this, --version the version.',
  examples: [
    'reloader --watch /git/app --port 8080 --ready-path /healthz --build "npm ci --omit=dev" -- node server.js',
    'reloader --watch /git/app --port 8080 --state-dir /var/lib/gitpaas   # detects install, build and start',
    'reloader --watch ./src -- node worker.js',
  ],
};

function fail(error: unknown): never {
  process.stderr.write(`reloader: ${oneLine(error)}\n`);
  process.exit(exitCodeOf(error));
}

async function main(): Promise<void> {
  const underInit = runUnderInit();
  if (underInit) process.exit(await underInit);
  const argv = process.argv.slice(2);
  const dashdash = argv.indexOf('--');
  const own = dashdash < 0 ? argv : argv.slice(0, dashdash);
  if (own.includes('--help') || own.includes('-h')) {
    process.stdout.write(renderHelp(options, HELP));
    return;
  }
  if (own.includes('--version')) {
    process.stdout.write(`reloader ${version} (@gitpaas/reloader)\n`);
    return;
  }
  let reloader: Reloader;
  let json: boolean;
  let logger: Logger;
  try {
    const parsed = parseOptions(options, { argv, env: process.env });
    if (parsed.positionals.length) {
      throw new FlagError(
        'E_BAD_FLAG',
        `unexpected argument "${parsed.positionals[0]}": put the command after --, e.g. reloader -- node server.js`,
      );
    }
    const reloaderOptions = toReloaderOptions(parsed.values, parsed.rest);
    json = reloaderOptions.logFormat === 'json';
    logger = createLogger({
      format: json ? 'json' : 'pretty',
      debug: debugRequested(process.env, 'reloader'),
      name: 'reloader',
    });
    // Node does not reap orphaned grandchildren; as PID 1 without tini to hand over to, they pile up.
    if (process.pid === 1) {
      logger.warn(
        'running as PID 1 with no tini on PATH: orphaned processes will not be reaped; install tini or use docker run --init',
      );
    }
    reloader = createReloader({ ...reloaderOptions, logger });
  } catch (error) {
    fail(error);
  }

  reloader.on('output', ({ revision, stream, line, phase }) => {
    const out = stream === 'stderr' ? process.stderr : process.stdout;
    out.write(
      json
        ? `${JSON.stringify({ time: new Date().toISOString(), revision, stream, phase, line })}\n`
        : `[${shortRevision(revision)}${phase === 'build' ? ' build' : ''}] ${line}\n`,
    );
  });

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping`);
    reloader.stop().then(
      () => process.exit(reloader.exitCode),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // a closed terminal must not leave the app running on its private port
  process.on('SIGHUP', shutdown);

  try {
    await reloader.start();
  } catch (error) {
    fail(error);
  }
}

await main();
