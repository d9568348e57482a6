import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  defineOptions,
  envNames,
  type OptionSpec,
  type OptionTable,
  type OptionValue,
  optionKey,
  type ParsedOptions,
  parseBind,
} from '@gitpaas/core';
import { type GitSyncOptions, options as gitSyncTable, toGitSyncOptions } from '@gitpaas/git-sync';
import { type ReloaderOptions, options as reloaderTable, toReloaderOptions } from '@gitpaas/reloader';
import { CliError } from './errors.js';
import { logFormatOption } from './flags.js';
import { repoName } from './repo-name.js';

/** Where `gitpaas up` serves status, metrics and the trigger unless --http-bind says otherwise. */
export const DEFAULT_HTTP_BIND = '127.0.0.1:8081';
/** The public port of `gitpaas up` unless --port says otherwise. */
export const DEFAULT_PORT = 8080;

/** Flags of the reloader that `up` sets itself: it watches git-sync's link, and serves one HTTP server. */
const RELOADER_OWN = new Set(['watch', 'http-bind', 'log-format', 'state-dir', 'sync-url']);
/** Flags of git-sync that `up` replaces: the HTTP server is shared, the process keeps running, help is up's. */
const GIT_SYNC_OWN = new Set(['http-bind', 'one-time', 'help', 'version']);

const upOwnOptions: OptionSpec[] = [
  {
    name: 'http-bind',
    type: 'string',
    default: DEFAULT_HTTP_BIND,
    valueName: '<host:port>',
    // It stands in for git-sync's --http-bind too, so its env names work as well.
    extraEnv: ['GITSYNC_HTTP_BIND', 'GIT_SYNC_HTTP_BIND'],
    help: "One HTTP server for both: GET / (the dashboard in a browser; for probes 200 once a revision is published), GET /status (sync + releases), GET /api/state, /events, /logs, GET /metrics (with --http-metrics), POST /sync (the trigger), POST and DELETE /rollback; '' turns it off",
  },
  {
    name: 'state-dir',
    type: 'string',
    valueName: '<dir>',
    help: "Where the release ledger (releases.jsonl) and the releases' output (logs/) are kept (default: beside --root, in <root>.state)",
  },
  logFormatOption,
];

/**
 * Defaults a PaaS needs, which differ from the bare git-sync's and reloader's: retry sync
 * failures forever with a capped backoff, serve on a public port with zero-downtime switches,
 * and wait for the first revision as long as the sync keeps trying.
 */
const UP_DEFAULTS: Record<string, OptionValue> = {
  'max-failures': -1,
  'max-sync-backoff': 60_000,
  'keep-revisions': 5,
  port: DEFAULT_PORT,
  'wait-timeout': 0,
};

const UP_NOTES: Record<string, string> = {
  root: 'default $XDG_STATE_HOME/gitpaas/<repo name>, i.e. ~/.local/state/gitpaas/…',
  'stale-worktree-timeout': 'ready + drain + stop timeouts + 1m unless set',
  'ssh-known-hosts-file': '~/.ssh/known_hosts when the default does not exist',
};

/** A copy of `spec` for the merged table: its env names as in its own table, up's default. */
function adopt(table: OptionTable, spec: OptionSpec, group: string): OptionSpec {
  const adopted: OptionSpec = { ...spec, extraEnv: envNames(table, spec), group };
  if (spec.name in UP_DEFAULTS) adopted.default = UP_DEFAULTS[spec.name];
  const note = UP_NOTES[spec.name];
  if (note) adopted.help = `${spec.help.replace(/ \(required\)$/, '')} (gitpaas up: ${note})`;
  return adopted;
}

/**
 * The flags of `gitpaas up`: git-sync's and the reloader's tables merged, with the same flag
 * and env names as the two bins (GITSYNC_…/GIT_SYNC_… and GITPAAS_…), plus up's own.
 */
export const options = defineOptions({
  envPrefixes: [],
  options: [
    ...upOwnOptions.map((spec) =>
      adopt({ envPrefixes: ['GITPAAS_'], options: upOwnOptions }, spec, 'Server'),
    ),
    ...(gitSyncTable.options as readonly OptionSpec[])
      .filter((spec) => !GIT_SYNC_OWN.has(spec.name))
      .map((spec) => adopt(gitSyncTable, spec, spec.group ? `Sync: ${spec.group}` : 'Sync')),
    ...(reloaderTable.options as readonly OptionSpec[])
      .filter((spec) => !RELOADER_OWN.has(spec.name) && !GIT_SYNC_OWN.has(spec.name))
      .filter((spec) => !gitSyncTable.options.some((other) => other.name === spec.name))
      .map((spec) => adopt(reloaderTable, spec, spec.group ? `Run: ${spec.group}` : 'Run')),
  ],
});

const gitSyncNames = new Set(
  gitSyncTable.options.map((spec) => spec.name).filter((name) => !GIT_SYNC_OWN.has(name)),
);
const reloaderNames = new Set(
  reloaderTable.options.map((spec) => spec.name).filter((name) => !RELOADER_OWN.has(name)),
);

/** The default --root: a directory per repository under the user's state dir. */
export function defaultRoot(env: NodeJS.ProcessEnv, repo: string): string {
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'gitpaas', (repoName(repo) || 'repo').replace(/[^\w.-]+/g, '-'));
}

function pick(values: ParsedOptions['values'], names: Set<string>): ParsedOptions['values'] {
  const out: ParsedOptions['values'] = {};
  for (const name of names) {
    const key = optionKey(name);
    if (values[key] !== undefined) out[key] = values[key];
  }
  return out;
}

export interface UpConfig {
  sync: GitSyncOptions;
  reloader: ReloaderOptions;
  /** '' when the HTTP server is off. */
  httpBind: string;
  httpMetrics: boolean;
  logFormat: 'pretty' | 'json';
}

/**
 * Parsed `up` flags → the two libraries' options (createUp points the reloader at git-sync's
 * link). Old worktrees are kept at least as long as a handoff can take (ready + drain + stop),
 * so the draining process never loses its files.
 */
export function toUpConfig(parsed: ParsedOptions, env: NodeJS.ProcessEnv, cwd: string): UpConfig {
  const { values, explicit } = parsed;
  if (!values.repo) {
    throw new CliError(
      'E_USAGE',
      '--repo is required: the git URL to deploy, e.g. --repo https://github.com/you/app.git',
    );
  }
  const syncValues = pick(values, gitSyncNames);
  // The bare git-sync's default root suits a container; on a workstation use the user's state dir.
  syncValues.root = resolve(
    cwd,
    String(explicit.has('root') ? values.root : defaultRoot(env, String(values.repo))),
  );
  const reloaderValues = pick(values, reloaderNames);
  const handoff =
    Number(reloaderValues.readyTimeout ?? 30_000) +
    Number(reloaderValues.drainTimeout ?? 30_000) +
    Number(reloaderValues.stopTimeout ?? 10_000);
  if (!explicit.has('staleWorktreeTimeout')) syncValues.staleWorktreeTimeout = handoff + 60_000;
  // The bare git-sync's known_hosts is a secret mounted into its container; on a workstation
  // without one, ssh would reject every host: use the user's own, as plain git does.
  if (!explicit.has('sshKnownHostsFile') && !existsSync(String(values.sshKnownHostsFile))) {
    syncValues.sshKnownHostsFile = join(env.HOME || homedir(), '.ssh', 'known_hosts');
  }
  const sync = toGitSyncOptions(syncValues);
  reloaderValues.stateDir = resolve(cwd, String(values.stateDir ?? `${sync.root}.state`));
  const reloader = toReloaderOptions(reloaderValues, parsed.rest);
  const httpBind = String(values.httpBind ?? '');
  if (httpBind) parseBind(httpBind, '--http-bind');
  return {
    sync,
    reloader,
    httpBind,
    httpMetrics: Boolean(values.httpMetrics),
    logFormat: values.logFormat === 'json' ? 'json' : 'pretty',
  };
}
