export type FlagErrorCode = 'E_BAD_FLAG' | 'E_UNKNOWN_FLAG' | 'E_MISSING_FLAG';

/** A usage error: bins print `message` on one line and exit 2. */
export class FlagError extends Error {
  override name = 'FlagError';
  readonly exitCode = 2;
  constructor(
    readonly code: FlagErrorCode,
    message: string,
    readonly flag?: string,
  ) {
    super(message);
  }
}
