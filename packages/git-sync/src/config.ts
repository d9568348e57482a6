import type { ParsedOptions } from '@gitpaas/core';
import { GitSyncError } from './errors.js';
import { defaultLinkName } from './layout.js';
import type { GitGc } from './retention.js';
import { parseSignal } from './trigger-signal.js';

/** Options of createGitSync(): the camelCase flag names; only repo and root are required. */
export interface GitSyncOptions {
  repo: string;
  root: string;
  ref?: string;
  link?: string;
  /** Milliseconds between syncs (default 10 s). */
  period?: number;
  /** Milliseconds one sync may take (default 120 s). */
  syncTimeout?: number;
  oneTime?: boolean;
  /** 0 (default) gives up on the first failure, N on the Nth in a row, negative never. */
  maxFailures?: number;
  /** Milliseconds between syncs until the first success (default: period). */
  initPeriod?: number;
  /** Like maxFailures, until the first success (default: maxFailures). */
  initMaxFailures?: number;
  /** Cap in ms for exponential retry backoff; 0 (default) keeps the fixed period. */
  maxSyncBackoff?: number;
  depth?: number;
  submodules?: 'recursive' | 'shallow' | 'off';
  username?: string;
  passwordFile?: string;
  password?: string;
  sshKeyFile?: string[];
  sshKnownHosts?: boolean;
  sshKnownHostsFile?: string;
  touchFile?: string;
  errorFile?: string;
  /** `host:port` for the built-in HTTP server (`:port` listens on all interfaces). */
  httpBind?: string;
  httpMetrics?: boolean;
  /** Milliseconds to keep replaced worktrees (default 0). */
  staleWorktreeTimeout?: number;
  gitGc?: GitGc;
  /** `key:value` pairs, comma separated, values optionally double-quoted. */
  gitConfig?: string[];
  addUser?: boolean;
  verbose?: number;
  /** Make a new worktree from a retired one (default true). */
  recycleWorktrees?: boolean;
  /** Program run in the new worktree after each publish (no shell, no arguments). */
  exechookCommand?: string;
  /** Milliseconds (default 30 s). */
  exechookTimeout?: number;
  /** Milliseconds between retries (default 3 s). */
  exechookBackoff?: number;
  webhookUrl?: string;
  /** Default POST. */
  webhookMethod?: string;
  /** Default 200; 0 (or -1) accepts any answer. */
  webhookSuccessStatus?: number;
  /** Milliseconds (default 1 s). */
  webhookTimeout?: number;
  /** Milliseconds between retries (default 3 s). */
  webhookBackoff?: number;
  /** Program run in the new worktree before the link moves; non-zero rejects the hash. */
  prePublishExechookCommand?: string;
  /** Milliseconds (default 30 s). */
  prePublishExechookTimeout?: number;
  /** File with the secret POST /sync requests must be signed with. */
  triggerSecretFile?: string;
  /** Signal name or number that forces a sync. */
  syncOnSignal?: string;
}

/** Options that stay unset unless given. */
type Unset =
  | 'username'
  | 'passwordFile'
  | 'password'
  | 'touchFile'
  | 'errorFile'
  | 'httpBind'
  | 'exechookCommand'
  | 'webhookUrl'
  | 'prePublishExechookCommand'
  | 'triggerSecretFile'
  | 'syncOnSignal'
  | 'initPeriod'
  | 'initMaxFailures';

export type ResolvedOptions = Required<Omit<GitSyncOptions, Unset>> &
  Pick<GitSyncOptions, Unset> & {
    gitConfigPairs: Array<[string, string]>;
  };

const bad = (message: string) => new GitSyncError('E_BAD_FLAG', message);

/** Fills defaults (kubernetes/git-sync's) and validates; throws GitSyncError E_BAD_FLAG naming the flag. */
export function resolveOptions(input: GitSyncOptions): ResolvedOptions {
  if (!input.repo) throw bad('--repo is required: the git repository to sync (or set GITSYNC_REPO)');
  if (!input.root) throw bad('--root is required: the directory git-sync owns (or set GITSYNC_ROOT)');
  const o: ResolvedOptions = {
    ref: 'HEAD',
    link: defaultLinkName(input.repo),
    period: 10_000,
    syncTimeout: 120_000,
    oneTime: false,
    maxFailures: 0,
    maxSyncBackoff: 0,
    depth: 1,
    submodules: 'recursive',
    sshKeyFile: ['/etc/git-secret/ssh'],
    sshKnownHosts: true,
    sshKnownHostsFile: '/etc/git-secret/known_hosts',
    httpMetrics: false,
    staleWorktreeTimeout: 0,
    gitGc: 'always',
    gitConfig: [],
    addUser: false,
    verbose: 0,
    recycleWorktrees: true,
    exechookTimeout: 30_000,
    exechookBackoff: 3000,
    webhookMethod: 'POST',
    webhookSuccessStatus: 200,
    webhookTimeout: 1000,
    webhookBackoff: 3000,
    prePublishExechookTimeout: 30_000,
    ...withoutUndefined(input),
    repo: input.repo,
    root: input.root,
    gitConfigPairs: [],
  };
  if (!o.ref.trim()) throw bad('--ref must not be empty: use a branch, tag, hash or HEAD');
  if (o.ref.startsWith('-')) throw bad(`--ref ${o.ref} is not a ref: use a branch, tag, hash or HEAD`);
  if (o.repo.startsWith('-')) throw bad('--repo must be a URL or path, not something starting with "-"');
  const linkName = o.link.replace(/\/+$/, '');
  if (!linkName || linkName === '.git' || linkName === '.worktrees' || linkName === '.') {
    throw bad(
      `--link ${JSON.stringify(o.link)} would collide with git-sync's own files in --root: choose another name`,
    );
  }
  if (!(o.period >= 10)) throw bad('--period must be at least 10ms');
  if (o.initPeriod !== undefined && !(o.initPeriod >= 10)) throw bad('--init-period must be at least 10ms');
  if (o.initMaxFailures !== undefined && !Number.isInteger(o.initMaxFailures))
    throw bad('--init-max-failures must be a whole number (negative retries forever)');
  if (!(o.syncTimeout >= 10)) throw bad('--sync-timeout must be at least 10ms');
  if (!Number.isInteger(o.depth) || o.depth < 0)
    throw bad('--depth must be 0 (all history) or a positive number');
  if (!['recursive', 'shallow', 'off'].includes(o.submodules))
    throw bad('--submodules must be recursive, shallow or off');
  if (!['auto', 'always', 'aggressive', 'off'].includes(o.gitGc))
    throw bad('--git-gc must be auto, always, aggressive or off');
  if (o.staleWorktreeTimeout < 0) throw bad('--stale-worktree-timeout must not be negative');
  if (o.maxSyncBackoff < 0) throw bad('--max-sync-backoff must not be negative');
  if (o.password && o.passwordFile) throw bad('use only one of --password-file and GITSYNC_PASSWORD');
  if ((o.password || o.passwordFile) && !o.username)
    throw bad('--username is required with --password-file or GITSYNC_PASSWORD');
  if (o.httpBind !== undefined && !/^(\[[0-9a-f:.]+\]|[^:\s]*):\d{1,5}$/i.test(o.httpBind)) {
    throw bad(
      `--http-bind ${JSON.stringify(o.httpBind)} is not host:port (for example 127.0.0.1:8080 or :8080)`,
    );
  }
  checkHooks(o);
  o.gitConfigPairs = o.gitConfig.flatMap(parseGitConfig);
  return o;
}

/** Maps the bin's parsed flags (`parseOptions(options, …).values`) to validated library options. */
export function toGitSyncOptions(values: ParsedOptions['values']): GitSyncOptions {
  const options = withoutUndefined(values) as unknown as GitSyncOptions;
  const {
    help: _help,
    version: _version,
    ...rest
  } = options as GitSyncOptions & { help?: boolean; version?: boolean };
  resolveOptions(rest);
  return rest;
}

/** kubernetes/git-sync's rules for the hook flags (timeouts and backoffs of at least 1s). */
function checkHooks(o: ResolvedOptions): void {
  const atLeastSecond = (flag: string, ms: number) => {
    if (!(ms >= 1000)) throw bad(`--${flag} must be at least 1s`);
  };
  if (o.exechookCommand !== undefined) {
    if (!o.exechookCommand.trim()) throw bad('--exechook-command must name a program');
    atLeastSecond('exechook-timeout', o.exechookTimeout);
    atLeastSecond('exechook-backoff', o.exechookBackoff);
  }
  if (o.prePublishExechookCommand !== undefined) {
    if (!o.prePublishExechookCommand.trim()) throw bad('--pre-publish-exechook-command must name a program');
    atLeastSecond('pre-publish-exechook-timeout', o.prePublishExechookTimeout);
  }
  if (o.webhookUrl !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(o.webhookUrl);
    } catch {
      // reported below
    }
    if (!url || !/^https?:$/.test(url.protocol)) {
      throw bad('--webhook-url must be an http:// or https:// URL');
    }
    // -1 is kubernetes/git-sync's older spelling of "any answer".
    if (o.webhookSuccessStatus === -1) o.webhookSuccessStatus = 0;
    if (
      !Number.isInteger(o.webhookSuccessStatus) ||
      o.webhookSuccessStatus < 0 ||
      o.webhookSuccessStatus > 599
    ) {
      throw bad('--webhook-success-status must be an HTTP status code, or 0 to accept any answer');
    }
    if (!/^[A-Za-z]+$/.test(o.webhookMethod))
      throw bad(`--webhook-method ${JSON.stringify(o.webhookMethod)} is not an HTTP method`);
    atLeastSecond('webhook-timeout', o.webhookTimeout);
    atLeastSecond('webhook-backoff', o.webhookBackoff);
  }
  if (o.triggerSecretFile !== undefined && !o.triggerSecretFile.trim()) {
    throw bad('--trigger-secret-file must name a file holding the webhook secret');
  }
  if (o.syncOnSignal !== undefined) {
    const signal = parseSignal(o.syncOnSignal);
    if (!signal) {
      throw bad(
        `--sync-on-signal ${JSON.stringify(o.syncOnSignal)} is not a signal this process can catch: use a name like SIGHUP or a number`,
      );
    }
    o.syncOnSignal = signal;
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Parses kubernetes/git-sync's --git-config syntax: `key:value` pairs separated by commas; keys and
 * values may be double-quoted (with backslash escapes) to hold commas or colons.
 */
export function parseGitConfig(text: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  let i = 0;
  const readPart = (stops: string): string => {
    let out = '';
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        out += text[i++];
      }
      if (text[i] !== '"') throw bad(`--git-config: unterminated quote in ${JSON.stringify(text)}`);
      i++;
      return out;
    }
    while (i < text.length && !stops.includes(text[i]!)) out += text[i++];
    return out.trim();
  };
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (i >= text.length) break;
    const key = readPart(':,');
    if (text[i] !== ':' || !key) throw bad(`--git-config: expected key:value, got ${JSON.stringify(text)}`);
    i++;
    const value = readPart(',');
    pairs.push([key, value]);
  }
  return pairs;
}
