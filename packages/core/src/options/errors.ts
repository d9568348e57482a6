import { GitpaasError, USAGE_EXIT_CODE } from '../errors.js';

export type FlagErrorCode = 'E_BAD_FLAG' | 'E_UNKNOWN_FLAG' | 'E_MISSING_FLAG';

/** A usage error: bins print `message` on one line and exit 2. `flag` names the culprit. */
export class FlagError extends GitpaasError<FlagErrorCode> {
  constructor(
    code: FlagErrorCode,
    message: string,
    readonly flag?: string,
  ) {
    super(code, message, { exitCode: USAGE_EXIT_CODE });
  }
}
