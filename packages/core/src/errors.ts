/** Marks gitpaas errors across realms and duplicate package copies, where instanceof fails. */
const BRAND = Symbol.for('gitpaas.error');

/** Exit code of a usage error (bad flag, bad field): the user can fix the command line. */
export const USAGE_EXIT_CODE = 2;

export interface GitpaasErrorOptions {
  cause?: unknown;
  /** 2 for usage errors, 1 (the default) for runtime failures. */
  exitCode?: number;
}

/**
 * The base of every gitpaas error: a stable `code` callers match on (never the message), a
 * message that says what to do, the `cause` kept, and the exit code a bin should end with.
 * Each package extends it with its own codes.
 */
export class GitpaasError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly exitCode: number;

  constructor(code: Code, message: string, options: GitpaasErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
    Object.defineProperty(this, BRAND, { value: true });
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** True for any gitpaas error, also one made by another copy of this package or in another realm. */
export function isGitpaasError(value: unknown): value is GitpaasError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/** The exit code for any error reaching a bin: a gitpaas error's own, 1 for anything else. */
export function exitCodeOf(error: unknown): number {
  return isGitpaasError(error) && error.exitCode > 0 ? error.exitCode : 1;
}

/** One line for a terminal: the message only, never a stack. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim() || 'unknown error';
}
