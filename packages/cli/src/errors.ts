export type GitpaasErrorCode =
  | 'E_USAGE'
  | 'E_UNKNOWN_COMMAND'
  | 'E_PORT_IN_USE'
  | 'E_EXISTS'
  | 'E_STATUS_UNREACHABLE'
  | 'E_STATUS_BAD_RESPONSE'
  | 'E_GIT'
  | 'E_DEMO';

const USAGE_CODES = new Set<GitpaasErrorCode>(['E_USAGE', 'E_UNKNOWN_COMMAND', 'E_PORT_IN_USE', 'E_EXISTS']);

/** The one error class of the gitpaas CLI: a stable `code`, a message that says what to do, `cause` kept. */
export class GitpaasError extends Error {
  override name = 'GitpaasError';
  constructor(
    readonly code: GitpaasErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** 2 for usage errors (the user can fix the command line), 1 for runtime failures. */
  get exitCode(): number {
    return USAGE_CODES.has(this.code) ? 2 : 1;
  }
}

/**
 * The exit code for any error reaching the top: errors of the gitpaas packages carry
 * their own (`FlagError`, `ReloaderError`, `GitSyncError`…); a bad flag is always 2.
 */
export function exitCodeOf(error: unknown): number {
  if (error && typeof error === 'object') {
    const { exitCode, code } = error as { exitCode?: unknown; code?: unknown };
    if (typeof exitCode === 'number' && exitCode > 0) return exitCode;
    if (code === 'E_BAD_FLAG' || code === 'E_UNKNOWN_FLAG' || code === 'E_MISSING_FLAG') return 2;
  }
  return 1;
}

/** One line for the terminal: the message only, never a stack (DEBUG=gitpaas:* shows the stack). */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim() || 'unknown error';
}
