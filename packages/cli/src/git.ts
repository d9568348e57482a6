import { execa } from 'execa';
import { simpleGit } from 'simple-git';
import { CliError } from './errors.js';

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
    const { stdout } = await execa('git', [...COMMIT_CONFIG, ...args], {
      cwd: options.cwd,
      env: { GIT_TERMINAL_PROMPT: '0' },
    });
    return stdout.trim();
  } catch (error) {
    const { stderr, code } = error as { stderr?: string; code?: string };
    if (code === 'ENOENT') {
      throw new CliError('E_GIT', 'git is not installed: install git and try again', { cause: error });
    }
    const last = (stderr ?? '').trim().split('\n').pop() || String(error);
    throw new CliError('E_GIT', `git ${args[0]} failed: ${last}`, { cause: error });
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
export async function commitInfo(dir: string): Promise<CommitInfo | undefined> {
  try {
    const { latest } = await simpleGit({ baseDir: dir }).log({
      maxCount: 1,
      format: { hash: '%H', subject: '%s', author: '%an', date: '%cI' },
    });
    return latest ?? undefined;
  } catch {
    return undefined;
  }
}
