import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintDockerfile } from '../lib/lint-dockerfile.mjs';
import { DEPLOY } from './helpers.js';

const IMAGES = ['git-sync', 'app'];

describe('image Dockerfiles', () => {
  it.each(IMAGES)(
    '%s is lint-clean (pinned ARG BASE, COPY only, non-root numeric USER, tini, legacy builder)',
    (name) => {
      expect(lintDockerfile(readFileSync(join(DEPLOY, 'images', name, 'Dockerfile'), 'utf8'))).toEqual([]);
    },
  );

  it('the app entrypoint script is valid sh', () => {
    execFileSync('sh', ['-n', join(DEPLOY, 'images', 'app', 'gitpaas-app')]);
  });
});

describe('lintDockerfile', () => {
  const good = [
    'ARG BASE=node:24-bookworm-slim',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile syntax
    'FROM ${BASE}',
    'COPY pkg/ /opt/x/',
    'USER 1000:1000',
    'ENTRYPOINT ["/usr/bin/tini", "--", "x"]',
  ];
  const lint = (lines: string[]) => lintDockerfile(`${lines.join('\n')}\n`);
  const withLine = (index: number, line: string) => good.map((l, i) => (i === index ? line : l));

  it('accepts a minimal good Dockerfile', () => {
    expect(lint(good)).toEqual([]);
  });

  it.each([
    ['a root user', withLine(3, 'USER root'), /numeric non-root uid/],
    ['uid 0', withLine(3, 'USER 0'), /numeric non-root uid/],
    ['no USER', good.filter((l) => !l.startsWith('USER')), /set USER/],
    ['an unpinned base', withLine(0, 'ARG BASE=node'), /pin ARG BASE/],
    ['a latest base', withLine(0, 'ARG BASE=node:latest'), /pin ARG BASE/],
    ['a fixed FROM', withLine(1, 'FROM node:24'), /FROM \$\{BASE\}/],
    ['ADD', withLine(2, 'ADD pkg/ /opt/x/'), /use COPY/],
    [
      'RUN --mount',
      [...good.slice(0, 3), 'RUN --mount=type=cache,target=/c true', ...good.slice(3)],
      /BuildKit/,
    ],
    ['a heredoc', [...good.slice(0, 3), 'RUN <<EOT', 'true', 'EOT', ...good.slice(3)], /heredocs/],
    ['a syntax directive', ['# syntax=docker/dockerfile:1', ...good], /syntax/],
    ['a shell-form ENTRYPOINT', withLine(4, 'ENTRYPOINT /usr/bin/tini -- x'), /exec \(JSON\) form/],
    ['no tini', withLine(4, 'ENTRYPOINT ["x"]'), /tini/],
    [
      'apt lists kept',
      [...good.slice(0, 2), 'RUN apt-get install -y --no-install-recommends git', ...good.slice(2)],
      /apt\/lists/,
    ],
    ['a misspelt instruction', withLine(2, 'COPPY pkg/ /opt/x/'), /./],
  ])('reports %s', (_name, lines, message) => {
    const problems = lint(lines);
    expect(
      problems.some((p) => message.test(p)),
      problems.join('\n'),
    ).toBe(true);
  });
});
