import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GitpaasError } from './errors.js';

const run = promisify(execFile);

/**
 * Config for the commits the CLI makes itself (demo repository, tour): a fixed identity and
 * no signing, so it works on a machine where git has no user set up.
 */
const COMMIT_CONFIG = [
  '-c',
  'user.name=gitpaas demo',
  '-c',
  'user.email=demo@gitpaas.invalid',
  '-c',
  'commit.gpgsign=false',
  '-c',
  'init.defaultBranch=main',
];

/** Runs git and returns its stdout, trimmed; failures become E_GIT with git's last stderr line. */
export async function git(args: readonly string[], options: { cwd?: string } = {}): Promise<string> {
  try {
    const { stdout } = await run('git', [...COMMIT_CONFIG, ...args], {
      cwd: options.cwd,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    return stdout.trim();
  } catch (error) {
    const { stderr, code } = error as { stderr?: string; code?: string | number };
    if (code === 'ENOENT') {
      throw new GitpaasError('E_GIT', 'git is not installed: install git and try again', { cause: error });
    }
    const last = (stderr ?? '').trim().split('\n').pop() || String(error);
    throw new GitpaasError('E_GIT', `git ${args[0]} failed: ${last}`, { cause: error });
  }
}

export interface CommitInfo {
  hash: string;
  subject: string;
  author: string;
  /** Commit date, ISO 8601. */
  date: string;
}

/** The commit checked out in `dir`, or undefined when dir is not a readable worktree here. */
export async function commitInfo(dir: string, rev = 'HEAD'): Promise<CommitInfo | undefined> {
  try {
    const out = await git(['log', '-1', '--format=%H%x00%s%x00%an%x00%cI', rev, '--'], { cwd: dir });
    const [hash, subject, author, date] = out.split('\0');
    return hash ? { hash, subject: subject ?? '', author: author ?? '', date: date ?? '' } : undefined;
  } catch {
    return undefined;
  }
}
