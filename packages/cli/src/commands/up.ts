import { createLogger, debugRequested, formatBind, type ScopedLogger } from '@gitpaas/core';
import { type CommandContext, defineCommand } from '../command.js';
import { createProgress } from '../progress.js';
import { createUp, type Up } from '../up.js';
import { options, toUpConfig } from '../up-options.js';

export function loggerFor(format: 'pretty' | 'json', context: CommandContext, verbose = false) {
  const progress = createProgress(context.terminal.err, format === 'pretty');
  const logger = createLogger({
    format,
    stream: progress.stream,
    debug: verbose || debugRequested(context.env),
  });
  return { logger, progress };
}

/** Resolves when the command is asked to stop (Ctrl-C, SIGTERM). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Runs `up` until the signal aborts; `whileRunning` gets the started stack (the demo's tour). */
export async function runUp(
  up: Up,
  context: CommandContext,
  logger: ScopedLogger,
  whileRunning?: (up: Up) => Promise<void>,
): Promise<void> {
  const onAbort = () => {
    logger.info('stopping…');
    void up.stop();
  };
  context.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await up.start();
    if (!context.signal.aborted) {
      await Promise.race([
        whileRunning ? whileRunning(up) : aborted(context.signal),
        aborted(context.signal),
        up.failed,
      ]);
    }
  } finally {
    context.signal.removeEventListener('abort', onAbort);
    await up.stop();
  }
}

/** Where the public port can be reached: a wildcard host is every interface, shown with a loopback URL that works. */
export function listenAddress(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::' || host === '') {
    return `http://127.0.0.1:${port} (listening on ${host === '::' ? '[::]' : '0.0.0.0'}:${port}, every interface)`;
  }
  return `http://${formatBind(host, port)}`;
}

export const upCommand = defineCommand({
  name: 'up',
  options,
  help: {
    usage: 'gitpaas up --repo <url> [flags] [-- <command…>]',
    description:
      'Keeps <root>/<link> at the newest revision of --ref (git-sync) and runs <command> from it\n' +
      '(reloader): each new revision is built, started beside the old one on a private $PORT, and\n' +
      'gets the traffic of --port only once it is ready; a revision that fails keeps the old one\n' +
      'serving. Without <command> and --build, each revision says how it is built and started: a\n' +
      "Procfile's web: line, package.json (install with its lockfile's manager, build script, start)\n" +
      'or one *.csproj (dotnet publish); installed dependencies are reused while the manifests are\n' +
      'unchanged. Ready means --ready-path answers 2xx, or without it that $PORT accepts a connection.\n' +
      'Same flags and env as the git-sync and reloader bins; the defaults differ where a\n' +
      'PaaS needs it: --max-failures -1 (retry forever, with backoff), --port 8080, --http-bind\n' +
      '127.0.0.1:8081 (the dashboard), old worktrees kept until the old process has drained and the\n' +
      'last 5 kept for `gitpaas rollback`.',
    examples: [
      'gitpaas up --repo https://github.com/you/app.git                # detects install, build and start',
      'gitpaas up --repo https://github.com/you/app.git -- npm start',
      'gitpaas up --repo git@github.com:you/app.git --ssh-key-file ~/.ssh/deploy --ref main \\',
      '    --build "npm ci --omit=dev" --ready-path /healthz -- node server.js',
      'GITSYNC_REPO=file:///srv/app.git GITPAAS_PORT=3000 gitpaas up -- node server.js',
    ],
  },
  async run(values, parsed, context) {
    const config = toUpConfig(parsed, context.env, context.cwd);
    const verbose = Number(values.verbose ?? 0) > 0;
    const { logger, progress } = loggerFor(config.logFormat, context, verbose);
    const up = createUp({ config, logger, progress });
    logger.info(`deploying ${up.gitSync.redact(config.sync.repo)} into ${config.sync.root}`);
    await runUp(up, context, logger, async (running) => {
      const port = config.reloader.port;
      const address = port ? listenAddress(config.reloader.host ?? '0.0.0.0', port) : undefined;
      if (!running.reloader.status().current) {
        logger.warn(
          `the first revision did not start (see above): push a fix; it goes live when it gets ready${address ? ` (listening on ${address})` : ''}`,
        );
      } else if (address) {
        logger.info(`serving on ${address}`);
      }
      if (running.url) {
        logger.info(
          `dashboard ${running.url}/ · status ${running.url}/status · trigger POST ${running.url}/sync`,
        );
      }
      await aborted(context.signal);
    });
    return 0;
  },
});
