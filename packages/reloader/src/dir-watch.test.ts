import { describe, expect, it } from 'vitest';
import { ignoreMatcher } from './dir-watch.js';

describe('ignore globs', () => {
  const ignored = ignoreMatcher('/app', ['.git', 'node_modules', '*.log', 'build/**', 'docs/*.md']);

  it.each([
    '/app/.git',
    '/app/.git/objects/ab/cdef',
    '/app/node_modules/x/index.js',
    '/app/packages/a/node_modules/y.js',
    '/app/debug.log',
    '/app/src/trace.log',
    '/app/build/out.js',
    '/app/docs/README.md',
  ])('ignores %s', (path) => expect(ignored(path)).toBe(true));

  it.each(['/app', '/app/src/index.js', '/app/gitignore', '/app/docs/deep/x.md', '/app/src/build.js'])(
    'watches %s',
    (path) => expect(ignored(path)).toBe(false),
  );
});
