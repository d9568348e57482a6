import { relative, resolve } from 'node:path';
import {
  type BindAddress,
  FlagError,
  type OptionValues,
  type ParsedOptions,
  parseBind,
  type ResolvedValues,
  resolveValues,
  splitUrlCredentials,
} from '@gitpaas/core';
import { GitSyncError } from './errors.js';
import { defaultLinkName } from './layout.js';
import { options } from './options.js';
import { refProblem } from './ref.js';
import { rootProblem } from './root-safety.js';
import { type FanoutTarget, parseFanoutTargets } from './trigger-fanout.js';
import { parseSignal } from './trigger-signal.js';

/** Flags of the bin alone: they mean nothing to a library caller. */
type BinOnly = 'help' | 'version';

/**
 * Options of createGitSync(): the flag table's options, camelCase (`syncTimeout`), durations in
 * milliseconds. Only repo and root are required; the table says every default, range and choice.
 */
export type GitSyncOptions = Omit<OptionValues<typeof options>, BinOnly | 'repo' | 'root'> & {
  repo: string;
  root: string;
};

/** The options past the door: the table's defaults filled in, plus what is derived from them. */
export type ResolvedOptions = Omit<
  ResolvedValues<typeof options>,
  BinOnly | 'repo' | 'root' | 'link' | 'syncOnSignal'
> & {
  repo: string;
  root: string;
  /** --link, or the last path element of --repo. */
  link: string;
  /** --sync-on-signal as a signal name. */
  syncOnSignal?: NodeJS.Signals;
  /** --http-bind, parsed. */
  httpAddress?: BindAddress;
  /** --git-config, parsed. */
  gitConfigPairs: Array<[string, string]>;
  /** --trigger-fanout, parsed. */
  fanoutTargets: FanoutTarget[];
};

export type Submodules = ResolvedOptions['submodules'];
export type GitGc = ResolvedOptions['gitGc'];

const bad = (message: string, cause?: unknown) => new GitSyncError('E_BAD_FLAG', message, { cause });

/** The core parsers' usage errors (FlagError) as this package's own. */
function asGitSyncError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw error instanceof FlagError ? bad(error.message, error) : error;
  }
}

/**
 * Fills the table's defaults (kubernetes/git-sync's), checks types and ranges against it, then
 * the rules no single option can state. Throws GitSyncError E_BAD_FLAG naming the flag.
 */
export function resolveOptions(input: GitSyncOptions): ResolvedOptions {
  if (!input.repo) throw bad('--repo is required: the git repository to sync (or set GITSYNC_REPO)');
  if (!input.root) throw bad('--root is required: the directory git-sync owns (or set GITSYNC_ROOT)');
  const { help: _help, version: _version, ...values } = asGitSyncError(() => resolveValues(options, input));
  const { httpBind, syncOnSignal, gitConfig = [] } = values;
  const o: ResolvedOptions = {
    ...values,
    ...credentials(input.repo, values),
    root: input.root,
    link: values.link ?? defaultLinkName(input.repo),
    syncOnSignal: syncOnSignal === undefined ? undefined : signalOf(syncOnSignal),
    httpAddress: httpBind === undefined ? undefined : asGitSyncError(() => parseBind(httpBind)),
    gitConfigPairs: gitConfig.flatMap(parseGitConfig),
    fanoutTargets: parseFanoutTargets(values.triggerFanout ?? []),
  };
  const refIssue = refProblem(o.ref);
  if (refIssue) {
    throw bad(
      `--ref ${JSON.stringify(o.ref)} ${refIssue}, which git does not allow in a ref name: use a branch, tag, full or short hash, or HEAD`,
    );
  }
  if (o.repo.startsWith('-')) throw bad('--repo must be a URL or path, not something starting with "-"');
  const rootIssue = rootProblem(o.root);
  if (rootIssue) {
    throw bad(
      `--root ${o.root} ${rootIssue}: git-sync clears what it does not recognise in --root, so give it a directory of its own (e.g. /git or /tmp/git)`,
    );
  }
  // Where the link lands, relative to root: `./.git`, `a/../.git` and `/root/.git/x` are `.git` too.
  const inRoot = relative(resolve(o.root), resolve(o.root, o.link));
  if (!o.link || !inRoot || /^(\.git|\.worktrees)(\/|$)/.test(inRoot)) {
    throw bad(
      `--link ${JSON.stringify(o.link)} would collide with git-sync's own files in --root: choose another name`,
    );
  }
  if (o.password && o.passwordFile) throw bad('use only one of --password-file and GITSYNC_PASSWORD');
  if ((o.password || o.passwordFile) && !o.username)
    throw bad('--username is required with --password-file or GITSYNC_PASSWORD');
  checkHooks(o);
  return o;
}

/**
 * --repo without its credentials, and the user and password it carried as if given by flag: git
 * then gets them from the credential helper, never on a command line. Given both ways, they must
 * agree (one user; a password only once), as kubernetes/git-sync refuses credentials in both.
 */
function credentials(
  repo: string,
  flags: { username?: string; password?: string; passwordFile?: string },
): { repo: string; username?: string; password?: string } {
  const fromUrl = splitUrlCredentials(repo);
  const { username, password, passwordFile } = flags;
  if (fromUrl.username === undefined) return { repo, username, password };
  const twice =
    'give the credentials once: in --repo, or (kept out of process listings) with --username and --password-file';
  if (username !== undefined && username !== fromUrl.username) {
    throw bad(`--repo names a user and --username names another: ${twice}`);
  }
  if (
    fromUrl.password &&
    (passwordFile !== undefined || (password !== undefined && password !== fromUrl.password))
  ) {
    throw bad(`--repo carries a password and --password-file or GITSYNC_PASSWORD gives one too: ${twice}`);
  }
  return {
    repo: fromUrl.url,
    username: fromUrl.username,
    password: password ?? (passwordFile === undefined ? fromUrl.password : undefined),
  };
}

/** Maps the bin's parsed flags (`parseOptions(options, …).values`) to validated library options. */
export function toGitSyncOptions(values: ParsedOptions['values']): GitSyncOptions {
  const { help: _help, version: _version, ...rest } = values;
  const given = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  const gitSyncOptions = given as unknown as GitSyncOptions;
  resolveOptions(gitSyncOptions);
  return gitSyncOptions;
}

/** kubernetes/git-sync's rules for the hook and trigger flags that a range cannot say. */
function checkHooks(o: ResolvedOptions): void {
  if (o.exechookCommand !== undefined && !o.exechookCommand.trim())
    throw bad('--exechook-command must name a program');
  if (o.prePublishExechookCommand !== undefined && !o.prePublishExechookCommand.trim())
    throw bad('--pre-publish-exechook-command must name a program');
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
    if (!/^[A-Za-z]+$/.test(o.webhookMethod))
      throw bad(`--webhook-method ${JSON.stringify(o.webhookMethod)} is not an HTTP method`);
  }
  // -1 is kubernetes/git-sync's older spelling of "any answer".
  if (o.webhookSuccessStatus === -1) o.webhookSuccessStatus = 0;
  if (o.triggerSecretFile !== undefined && !o.triggerSecretFile.trim()) {
    throw bad('--trigger-secret-file must name a file holding the webhook secret');
  }
  // Replicas verify what they are sent: without a shared secret there is nothing to verify.
  if (o.fanoutTargets.length && !o.triggerSecretFile) {
    throw bad('--trigger-fanout needs --trigger-secret-file: replicas check the forwarded signature');
  }
}

function signalOf(text: string): NodeJS.Signals {
  const signal = parseSignal(text);
  if (!signal) {
    throw bad(
      `--sync-on-signal ${JSON.stringify(text)} is not a signal this process can catch: use a name like SIGHUP or a number`,
    );
  }
  return signal;
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
