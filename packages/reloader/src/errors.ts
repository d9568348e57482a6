import { GitpaasError, USAGE_EXIT_CODE } from '@gitpaas/core';

export type ReloaderErrorCode =
  | 'E_PORT_IN_USE'
  | 'E_WATCH_MISSING'
  | 'E_BUILD'
  | 'E_DETECT'
  | 'E_EXITED'
  | 'E_NOT_READY'
  | 'E_SPAWN';

/** Codes that mean the user asked for something impossible: bins exit 2. */
const USAGE_CODES = new Set<ReloaderErrorCode>(['E_PORT_IN_USE', 'E_WATCH_MISSING']);

/** The one error class of @gitpaas/reloader: a stable `code`, a message that says what to do, `cause` kept. */
export class ReloaderError extends GitpaasError<ReloaderErrorCode> {
  constructor(code: ReloaderErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { cause: options.cause, exitCode: USAGE_CODES.has(code) ? USAGE_EXIT_CODE : 1 });
  }
}
