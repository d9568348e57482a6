import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { exitCodeOf, GitpaasError, isGitpaasError, oneLine } from './errors.js';
import { FlagError } from './options/errors.js';

class ExampleError extends GitpaasError<'E_EXAMPLE'> {}

describe('GitpaasError', () => {
  it('keeps a stable code, the cause and an exit code (1 unless a usage error)', () => {
    const cause = new Error('underlying');
    const error = new ExampleError('E_EXAMPLE', 'do this instead', { cause });
    expect(error).toMatchObject({ code: 'E_EXAMPLE', cause, exitCode: 1, name: 'ExampleError' });
    expect(new FlagError('E_BAD_FLAG', '--x: bad', '--x')).toMatchObject({ exitCode: 2, flag: '--x' });
    expect(exitCodeOf(new FlagError('E_UNKNOWN_FLAG', 'x'))).toBe(2);
    expect(exitCodeOf(new Error('plain'))).toBe(1);
  });

  it('is recognised across realms and package copies, where instanceof fails', () => {
    const error = new ExampleError('E_EXAMPLE', 'x');
    // A structured clone of the brand is what another copy of the package would see: the symbol
    // is registered globally (Symbol.for), so a check made in another realm still finds it.
    const otherRealmCheck = runInNewContext(
      'v => typeof v === "object" && v !== null && v[Symbol.for("gitpaas.error")] === true',
    ) as (value: unknown) => boolean;
    expect(otherRealmCheck(error)).toBe(true);
    const foreign = runInNewContext('new Error("x")') as Error;
    expect(isGitpaasError(foreign)).toBe(false);
    expect(isGitpaasError({ code: 'E_X', exitCode: 2 })).toBe(false);
    expect(isGitpaasError(error)).toBe(true);
  });

  it('prints one line, never a stack', () => {
    expect(oneLine(new Error('first line\n    at somewhere'))).toBe('first line');
    expect(oneLine('')).toBe('unknown error');
  });
});
