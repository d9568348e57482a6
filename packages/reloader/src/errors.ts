export type ReloaderErrorCode =
  | 'E_NO_COMMAND'
  | 'E_PORT_IN_USE'
  | 'E_WATCH_MISSING'
  | 'E_BUILD'
  | 'E_EXITED'
  | 'E_NOT_READY'
  | 'E_SPAWN';

/** Codes that mean the user asked for something impossible: bins exit 2. */
const USAGE_CODES = new Set<ReloaderErrorCode>(['E_NO_COMMAND', 'E_PORT_IN_USE', 'E_WATCH_MISSING']);

/** The one error class of @gitpaas/reloader: a stable `code`, a message that says what to do, `cause` kept. */
export class ReloaderError extends Error {
  override name = 'ReloaderError';
  constructor(
    readonly code: ReloaderErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** 2 for usage errors, 1 for runtime failures. */
  get exitCode(): number {
    return USAGE_CODES.has(this.code) ? 2 : 1;
  }
}
