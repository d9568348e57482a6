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
  | 'E_GIT'
  | 'E_TIMEOUT'
  | 'E_STOPPED'
  | 'E_HTTP_BIND'
  | 'E_HOOK'
  | 'E_GATE'
  | 'E_TRIGGER_SECRET';

/**
 * The one error class of @gitpaas/git-sync. Messages say what to do and are redacted before
 * construction; `cause` is kept (itself redacted when it comes from a git command).
 */
export class GitSyncError extends Error {
  override name = 'GitSyncError';
  constructor(
    readonly code: GitSyncErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Usage errors exit 2, everything else 1. */
  get exitCode(): 1 | 2 {
    return this.code === 'E_BAD_FLAG' ? 2 : 1;
  }
}
