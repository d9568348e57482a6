import { describe, expect, it } from 'vitest';
import { envLine, patchEnvFile } from './env-file.js';

describe('.env lines', () => {
  it('write plain values bare, others quoted the way both Compose versions read them back', () => {
    expect(envLine('APP_COMMAND', 'npm start')).toBe('APP_COMMAND=npm start');
    expect(envLine('GITPAAS_REPO', 'git@host.invalid:you/app.git')).toBe(
      'GITPAAS_REPO=git@host.invalid:you/app.git',
    );
    expect(envLine('GITPAAS_BUILD', '')).toBe('GITPAAS_BUILD=');
    expect(envLine('APP_COMMAND', 'node app.js --port $PORT # x')).toBe(
      "APP_COMMAND='node app.js --port $PORT # x'",
    );
    expect(envLine('APP_COMMAND', `node -e "console.log('a: b') # x"`)).toBe(
      `APP_COMMAND="node -e \\"console.log('a: b') # x\\""`,
    );
  });

  it('refuse a value no quoting keeps whole, naming the flag (exit 2)', () => {
    expect(() => envLine('APP_COMMAND', `echo '$HOME'`, '--command')).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: expect.stringMatching(/^--command: .* cannot go into \.env/),
      }),
    );
  });

  it('patch the reference file, and fail when it lacks a setting', () => {
    const reference = '# how to use this file\n\n# the repository\nGITPAAS_REPO=https://x.invalid/a.git\n';
    expect(patchEnvFile(reference, 'written by init', { GITPAAS_REPO: { value: 'file:///b.git' } })).toBe(
      '# written by init\n\n# the repository\nGITPAAS_REPO=file:///b.git\n',
    );
    expect(() => patchEnvFile(reference, 'x', { APP_COMMAND: { value: 'npm start' } })).toThrow(
      /reference \.env has no APP_COMMAND/,
    );
  });
});
