import { GitpaasError, USAGE_EXIT_CODE } from '@gitpaas/core';

/** Stable codes: callers and tests match on these, never on messages. */
export type GitSyncErrorCode =
  | 'E_BAD_FLAG'
  | 'E_ROOT'
  | 'E_ADD_USER'
  | 'E_AUTH'
  | 'E_GIT_LS_REMOTE'
  | 'E_GIT_FETCH'
  | 'E_REF_NOT_FOUND'
  | 'E_WORKTREE'
  | 'E_PUBLISH'
  | 'E_CLEANUP'
  | 'E_DISK_FULL'
  | 'E_GIT'
  | 'E_TIMEOUT'
  | 'E_STOPPED'
  | 'E_HTTP_BIND'
  | 'E_HOOK'
  | 'E_GATE'
  | 'E_TRIGGER_SECRET'
  | 'E_ROLLBACK'
  | 'E_ROLLBACK_REJECTED';

/**
 * The one error class of @gitpaas/git-sync. Messages say what to do and are redacted before
 * construction; `cause` is kept (a GitCommandError when a git command failed). Usage errors
 * (E_BAD_FLAG) exit 2, everything else 1.
 */
export class GitSyncError extends GitpaasError<GitSyncErrorCode> {
  constructor(code: GitSyncErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { cause: options.cause, exitCode: code === 'E_BAD_FLAG' ? USAGE_EXIT_CODE : 1 });
  }
}

/**
 * A git command that exited non-zero, kept as the `cause` of the GitSyncError that explains it
 * (as execa keeps command, exit code and stderr). Everything in it is redacted already.
 */
export class GitCommandError extends GitpaasError<'E_GIT_COMMAND'> {
  constructor(
    /** The command line as shown in logs (`git fetch …`), redacted. */
    readonly command: string,
    /** git's own exit code (`exitCode` is the one a bin would end with). */
    readonly gitExitCode: number,
    /** The last lines git printed on stderr, without progress noise, redacted. */
    readonly stderr: string,
    reason: string,
  ) {
    super('E_GIT_COMMAND', `${command} exited with ${gitExitCode}: ${reason}`);
  }
}
