import { GitSyncError } from './errors.js';
import { type GitContext, runGit } from './git.js';
import { HASH } from './layout.js';

/** What the remote says --ref is right now. */
export type RemoteRef =
  /** A named ref: its commit and the full ref name to fetch. */
  | { kind: 'ref'; hash: string; name: string }
  /** --ref is a full hash: nothing to ask the remote. */
  | { kind: 'hash'; hash: string }
  /** --ref looks like an abbreviated hash and names no ref: it must be found among fetched commits. */
  | { kind: 'short'; prefix: string };

/** Looks up --ref with `git ls-remote` (cheap: no objects move), so a fetch runs only when it moved. */
export async function resolveRemote(
  ctx: GitContext,
  cwd: string,
  repo: string,
  ref: string,
): Promise<RemoteRef> {
  if (HASH.test(ref.toLowerCase())) return { kind: 'hash', hash: ref.toLowerCase() };
  const patterns = ref === 'HEAD' ? ['HEAD'] : [ref, `${ref}^{}`];
  const { stdout } = await runGit(ctx, ['ls-remote', '--', repo, ...patterns], {
    cwd,
    code: 'E_GIT_LS_REMOTE',
    what: 'asking the remote for --ref (git ls-remote)',
    remote: true,
  });
  const refs = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [hash, name] = line.trim().split(/\s+/);
    if (hash && name) refs.set(name, hash);
  }
  // The order git itself uses to expand a short name (refs.c: ref_rev_parse_rules).
  const candidates = ref.startsWith('refs/')
    ? [ref]
    : [
        ref,
        `refs/${ref}`,
        `refs/tags/${ref}`,
        `refs/heads/${ref}`,
        `refs/remotes/${ref}`,
        `refs/remotes/${ref}/HEAD`,
      ];
  for (const name of candidates) {
    const hash = refs.get(`${name}^{}`) ?? refs.get(name);
    if (hash) return { kind: 'ref', hash, name };
  }
  if (/^[0-9a-f]{4,39}$/i.test(ref)) return { kind: 'short', prefix: ref.toLowerCase() };
  throw new GitSyncError(
    'E_REF_NOT_FOUND',
    `--ref ${ref} does not exist in the remote repository: check the branch, tag or hash (the last published revision stays)`,
  );
}

/**
 * Whether a commit and every object of its tree are in the local repository (then no fetch is
 * needed). A fetch that ran out of disk can leave the commit and its trees without their blobs:
 * trusting the commit alone would fail every checkout of it ("unable to read sha1 file").
 */
export async function haveCommit(ctx: GitContext, cwd: string, hash: string): Promise<boolean> {
  const result = await runGit(ctx, ['rev-list', '--objects', '--no-walk', '--quiet', hash, '--'], {
    cwd,
    allowFail: true,
  });
  return result.exitCode === 0;
}
