import {
  defineOptions,
  FlagError,
  type Logger,
  type OptionValues,
  type ParsedOptions,
  parseBind,
  type ResolvedValues,
  redactingLogger,
  resolveValues,
  silentLogger,
} from '@gitpaas/core';
import { httpSyncSource, type SyncSource } from './sync-source.js';

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGKILL'] as const;

/** The reloader's flag table: parsing, env (`GITPAAS_*`), --help and the README table come from it. */
export const options = defineOptions({
  envPrefixes: ['GITPAAS_'],
  options: [
    {
      name: 'watch',
      type: 'string',
      valueName: '<path>',
      group: 'Watching',
      help: 'a symlink (revision mode: run from its target, replace once per link change) or a directory (directory mode: replace on file changes)',
    },
    {
      name: 'poll',
      type: 'duration',
      default: 0,
      min: 0,
      group: 'Watching',
      help: 'revision mode: check the link every interval instead of using file events (for volumes without inotify); 0 uses events',
    },
    {
      name: 'wait-timeout',
      type: 'duration',
      default: 300_000,
      min: 0,
      group: 'Watching',
      help: 'how long to wait at start-up for the watched path to appear before giving up (exit 2); 0 waits forever',
    },
    {
      name: 'debounce',
      type: 'duration',
      default: 200,
      min: 0,
      group: 'Watching',
      help: 'directory mode: replace this long after the last change',
    },
    {
      name: 'max-wait',
      type: 'duration',
      default: 2000,
      min: 0,
      group: 'Watching',
      help: 'directory mode: replace at the latest this long after the first change of a burst',
    },
    {
      name: 'ignore',
      type: 'list',
      default: ['.git', 'node_modules'],
      valueName: '<glob>',
      group: 'Watching',
      help: 'directory mode: paths to ignore (picomatch globs; a name without / matches any path segment); repeat the flag, or commas in the env',
    },
    {
      name: 'port',
      type: 'int',
      min: 1,
      max: 65535,
      group: 'Handoff',
      help: 'public port: proxy HTTP and websockets to the live child (which gets a private PORT) and switch with zero downtime; without it, restart mode (stop old, start new)',
    },
    {
      name: 'host',
      type: 'string',
      default: '0.0.0.0',
      group: 'Handoff',
      help: 'address the public port listens on',
    },
    {
      name: 'ready-path',
      type: 'string',
      valueName: '<path>',
      group: 'Handoff',
      help: 'HTTP path that answers 2xx when the new child is ready (e.g. /healthz); without it, ready means the private port accepts a TCP connection',
    },
    {
      name: 'ready-timeout',
      type: 'duration',
      default: 30_000,
      min: 1,
      group: 'Handoff',
      help: 'a new child not ready within this long is stopped and the old one keeps serving',
    },
    {
      name: 'drain-timeout',
      type: 'duration',
      default: 30_000,
      min: 0,
      group: 'Handoff',
      help: 'after a switch, how long the old child may finish in-flight requests and websockets before it is stopped',
    },
    {
      name: 'keep-alive-timeout',
      type: 'duration',
      default: 65_000,
      min: 1000,
      group: 'Handoff',
      help: 'how long the public port keeps an idle client connection open (announced as Keep-Alive: timeout=); keep it above the idle timeout of a load balancer in front (AWS ALB, nginx: 60s)',
    },
    {
      name: 'socket-handoff',
      type: 'bool',
      default: false,
      group: 'Handoff',
      help: "hand each connection of the public port to the live app's own process, so requests do not pass through the reloader (Node apps started directly, e.g. node server.js: a hook loaded with NODE_OPTIONS takes them); readiness, switching and draining work as with the proxy, and an app that does not take them is proxied",
    },
    {
      name: 'build',
      type: 'string',
      valueName: '<command>',
      group: 'Build',
      help: 'shell command run in each new release directory before it starts (e.g. "npm run build"); failure keeps the old release. Without it (and without a command), revision mode detects the install and build from package.json or a *.csproj',
    },
    {
      name: 'install',
      type: 'string',
      valueName: '<command>',
      group: 'Build',
      help: 'dependency install run before --build, only when the --build-key files changed: otherwise the dependencies installed for the same key are reused (revision mode, with --state-dir)',
    },
    {
      name: 'build-key',
      type: 'list',
      valueName: '<file>',
      group: 'Build',
      help: 'files the install depends on, relative to the release (default: the detected manifests, e.g. package.json and its lockfile); the cache key is their content, the install command and the runtime version',
    },
    {
      name: 'install-dirs',
      type: 'list',
      valueName: '<dir>',
      group: 'Build',
      help: 'directories the install writes, kept per key and linked into each release (default: the detected ones, e.g. node_modules)',
    },
    {
      name: 'build-cache',
      type: 'int',
      default: 3,
      min: 0,
      group: 'Build',
      help: 'how many installed dependency trees to keep in <state-dir>/cache (least recently used go first); 0 installs for every release',
    },
    {
      name: 'stop-signal',
      type: 'enum',
      choices: SIGNALS,
      default: 'SIGTERM',
      group: 'Process',
      help: 'signal sent to the whole process group of a child being stopped',
    },
    {
      name: 'stop-timeout',
      type: 'duration',
      default: 10_000,
      min: 0,
      group: 'Process',
      help: 'after the stop signal, how long before the process group gets SIGKILL',
    },
    {
      name: 'state-dir',
      type: 'string',
      valueName: '<dir>',
      group: 'Status',
      help: 'directory for releases.jsonl, the release ledger (one JSON line per release transition), cache/, the installed dependencies and package-manager caches, and logs/, the output of the last releases',
    },
    {
      name: 'http-bind',
      type: 'string',
      valueName: '<host:port>',
      group: 'Status',
      help: 'serve the dashboard (GET /), GET /status, GET /metrics, GET /api/state, GET /events and GET /logs here (e.g. 127.0.0.1:9090 or :9090)',
    },
    {
      name: 'sync-url',
      type: 'string',
      valueName: '<url>',
      group: 'Status',
      help: "git-sync's --http-bind (e.g. http://127.0.0.1:8081) when it runs beside this reloader: the dashboard on --http-bind shows its status, and POST /sync and POST/DELETE /rollback are passed on to it",
    },
    {
      name: 'log-format',
      type: 'enum',
      choices: ['pretty', 'json'],
      default: 'pretty',
      group: 'Status',
      help: 'child output as "[abc1234] line" and plain log lines, or everything as JSON lines',
    },
  ],
});

export type StopSignal = (typeof SIGNALS)[number];

/** Everything createReloader takes; durations in milliseconds. The table's options come from the table. */
export type ReloaderOptions = OptionValues<typeof options> & {
  /**
   * The command to run, as argv (a single element with spaces runs through the shell); empty or
   * missing: detected for each release (a Procfile's web: line, package.json, a *.csproj).
   */
  command?: string[];
  /** Working directory when nothing is watched or in directory mode; defaults to process.cwd(). */
  cwd?: string;
  /** Environment for children; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where the reloader logs (it never prints); silent by default. */
  logger?: Logger;
  /** git-sync in the same process (`gitpaas up`); otherwise --sync-url reaches it over HTTP. */
  sync?: SyncSource;
  /**
   * Removes secrets from text (gitpaas up passes git-sync's redactor): applied to every output line
   * of the app and its build before it is emitted, kept, stored or logged, to release reasons, to
   * log lines and to what the dashboard serves.
   */
  redact?: (text: string) => string;
};

/** ReloaderOptions after resolveOptions: every default filled in, so no code past the door falls back. */
export type ResolvedOptions = ResolvedValues<typeof options> & {
  command: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** git-sync for the dashboard: given, from --sync-url, or none. */
  sync: SyncSource | null;
  redact: (text: string) => string;
};

/**
 * What createReloader does first: the table's defaults and type and range checks (FlagError naming
 * the flag), the caller's directory, environment and logger otherwise.
 */
export function resolveOptions(input: ReloaderOptions): ResolvedOptions {
  const { redact, ...rest } = input;
  const values = resolveValues(options, rest);
  const logger = input.logger ?? silentLogger;
  return {
    ...values,
    command: input.command ?? [],
    cwd: input.cwd ?? process.cwd(),
    env: input.env ?? process.env,
    logger: redact ? redactingLogger(logger, redact) : logger,
    sync: input.sync ?? (values.syncUrl ? httpSyncSource(values.syncUrl, logger) : null),
    redact: redact ?? ((text) => text),
  };
}

/**
 * Turns parsed flag values (and the command after `--`, if any: without one it is detected) into
 * ReloaderOptions, checking what the table cannot say: --ready-path starts with /, --http-bind is
 * host:port. Throws FlagError on bad input.
 */
export function toReloaderOptions(values: ParsedOptions['values'], command: string[]): ReloaderOptions {
  if (command.length > 0 && !command[0]) {
    throw new FlagError(
      'E_BAD_FLAG',
      'the command after -- is empty: put the command there, or nothing to detect it',
    );
  }
  const readyPath = values.readyPath as string | undefined;
  if (readyPath !== undefined && !readyPath.startsWith('/')) {
    throw new FlagError(
      'E_BAD_FLAG',
      `--ready-path: "${readyPath}" must start with /, e.g. /healthz`,
      '--ready-path',
    );
  }
  const httpBind = values.httpBind as string | undefined;
  if (httpBind !== undefined) parseBind(httpBind, '--http-bind');
  const out: Record<string, unknown> = { command };
  for (const [key, value] of Object.entries(values)) if (value !== undefined) out[key] = value;
  return out as ReloaderOptions;
}
