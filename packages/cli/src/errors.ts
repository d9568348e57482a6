import { GitpaasError, USAGE_EXIT_CODE } from '@gitpaas/core';

export type CliErrorCode =
  | 'E_USAGE'
  | 'E_UNKNOWN_COMMAND'
  | 'E_PORT_IN_USE'
  | 'E_EXISTS'
  | 'E_STATUS_UNREACHABLE'
  | 'E_STATUS_BAD_RESPONSE'
  | 'E_FORBIDDEN'
  | 'E_ROLLBACK'
  | 'E_NOT_LIVE'
  | 'E_GIT'
  | 'E_DEMO'
  | 'E_INSTALL';

/** Codes the user fixes on the command line: the bin exits 2. */
const USAGE_CODES = new Set<CliErrorCode>(['E_USAGE', 'E_UNKNOWN_COMMAND', 'E_PORT_IN_USE', 'E_EXISTS']);

/** The one error class of the gitpaas CLI: a stable `code`, a message that says what to do, `cause` kept. */
export class CliError extends GitpaasError<CliErrorCode> {
  constructor(code: CliErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { cause: options.cause, exitCode: USAGE_CODES.has(code) ? USAGE_EXIT_CODE : 1 });
  }
}
