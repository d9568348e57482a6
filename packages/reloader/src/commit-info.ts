import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

/** What the dashboard shows of a release's commit. */
export interface CommitInfo {
  subject: string;
  author: string;
  /** Commit date, ISO 8601. */
  date: string;
}

/**
 * Reads commits once each: from the release's worktree, or, once that is gone, from the
 * repository it belonged to (`<root>/.worktrees/<hash>` → `<root>`), which keeps the commits
 * git-sync retains. Unknown commits are remembered too, so a page never waits on git twice.
 */
export class Commits {
  private readonly known = new Map<string, Promise<CommitInfo | null>>();

  /** Enough for every release the ledger keeps; the oldest are read again if ever asked for. */
  constructor(private readonly max = 200) {}

  of(revision: string | null, dir: string): Promise<CommitInfo | null> {
    if (!revision) return Promise.resolve(null);
    let info = this.known.get(revision);
    if (!info) {
      info = read(revision, existsSync(dir) ? dir : dirname(dirname(dir)));
      this.known.set(revision, info);
      if (this.known.size > this.max) this.known.delete(this.known.keys().next().value!);
    }
    return info;
  }
}

function read(revision: string, cwd: string): Promise<CommitInfo | null> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['log', '-1', '--format=%s%x00%an%x00%cI', revision, '--'],
      { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } },
      (error, stdout) => {
        const [subject, author, date] = stdout.split('\0');
        if (error || subject === undefined || !date) resolve(null);
        else resolve({ subject, author: author ?? '', date: date.trim() });
      },
    ).stdin?.end();
  });
}

/** Forges whose commit pages are `<https://host/owner/repo><path><hash>`. */
const FORGES: Record<string, string> = {
  'github.com': '/commit/',
  'gitlab.com': '/-/commit/',
  'codeberg.org': '/commit/',
  'gitea.com': '/commit/',
  'bitbucket.org': '/commits/',
};

/** The commit's web page when the repository is on a known forge (https, ssh or scp-like URL), else null. */
export function commitUrl(repo: string | undefined, hash: string | null): string | null {
  if (!repo || !hash) return null;
  const scp = /^[\w.-]+@([\w.-]+):(?!\/)(.+)$/.exec(repo);
  let host: string;
  let path: string;
  if (scp) {
    [, host, path] = scp as unknown as [string, string, string];
  } else {
    try {
      const url = new URL(repo);
      if (!/^(https?|ssh|git):$/.test(url.protocol)) return null;
      host = url.hostname;
      path = url.pathname;
    } catch {
      return null;
    }
  }
  const route = FORGES[host.toLowerCase()];
  const project = path.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
  if (!route || !/^[\w.-]+(\/[\w.-]+)+$/.test(project)) return null;
  return `https://${host.toLowerCase()}/${project}${route}${hash}`;
}
