import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { ago, buildReport, renderReport, type StatusDoc } from './status-report.js';

const plain = pc.createColors(false);
const now = Date.parse('2026-01-01T12:00:00Z');

const doc: StatusDoc = {
  sync: {
    repo: 'https://git.example.invalid/app.git',
    ref: 'main',
    publishedHash: 'b'.repeat(40),
    consecutiveFailures: 2,
    lastError: { code: 'E_GIT_FETCH', message: 'could not reach the remote' },
  },
  reloader: {
    current: {
      id: 2,
      revision: 'a'.repeat(40),
      dir: '/srv/.worktrees/aaa',
      outcome: 'live',
      times: { detected: '2026-01-01T11:50:00Z', readyMs: 412, switchedAt: '2026-01-01T11:50:01Z' },
    },
    releases: [
      {
        id: 3,
        revision: 'b'.repeat(40),
        dir: '/srv/.worktrees/bbb',
        outcome: 'failed',
        reason: 'not ready within 5s',
        times: { detected: '2026-01-01T11:58:00Z', buildMs: 1500 },
      },
      {
        id: 2,
        revision: 'a'.repeat(40),
        dir: '/srv/.worktrees/aaa',
        outcome: 'live',
        times: { detected: '2026-01-01T11:50:00Z', readyMs: 412 },
      },
    ],
  },
};

describe('the status screen', () => {
  it('shows the live commit, the sync state with its last error, and the releases newest first', () => {
    const commit = {
      hash: 'a'.repeat(40),
      subject: 'Fix the footer',
      author: 'Ada',
      date: '2026-01-01T11:00:00Z',
    };
    const text = renderReport(buildReport('http://127.0.0.1:8081', doc, commit), plain, now);
    expect(text).toContain('Live     aaaaaaa Fix the footer (Ada, committed 1h ago)');
    expect(text).toContain('since 2026-01-01T11:50:01Z (9m ago), release #2');
    expect(text).toContain('Repo     https://git.example.invalid/app.git @ main');
    expect(text).toContain('2 failures in a row');
    expect(text).toContain('Error    E_GIT_FETCH: could not reach the remote');
    const rows = text.split('\n').filter((line) => /^ {2}#\d/.test(line));
    expect(rows[0]).toMatch(/#3\s+bbbbbbb\s+failed\s+1\.5s\s+-\s+2m ago\s+not ready within 5s/);
    expect(rows[1]).toMatch(/#2\s+aaaaaaa\s+live\s+-\s+412ms/);
  });

  it('says nothing is live yet before the first release, and uses the hash when the worktree is elsewhere', () => {
    const empty = renderReport(
      buildReport('u', { sync: {}, reloader: { current: null, releases: [] } }, undefined),
      plain,
      now,
    );
    expect(empty).toContain('nothing yet');
    expect(empty).toContain('none yet');
    const remote = buildReport('u', doc, undefined);
    expect(remote.live?.hash).toBe('a'.repeat(40));
  });

  it('shows how the live release was set up, and a failed release’s last output lines under the table', () => {
    const withSetup: StatusDoc = {
      ...doc,
      reloader: {
        ...doc.reloader,
        current: {
          ...doc.reloader!.current!,
          setup: { plan: 'node (package-lock.json): install `npm ci`, start `npm start`', cache: 'hit' },
        },
        releases: [
          {
            ...doc.reloader!.releases![0]!,
            lastOutput: ['compiling', '', 'error TS2304: cannot find name "x"'],
          },
          doc.reloader!.releases![1]!,
        ],
      },
    };
    const text = renderReport(buildReport('u', withSetup, undefined), plain, now);
    expect(text).toContain(
      'Setup    node (package-lock.json): install `npm ci`, start `npm start` · dependencies reused (manifests unchanged)',
    );
    expect(text).toContain(
      'Last output of #3 (bbbbbbb, failed)\n  │ compiling\n  │ error TS2304: cannot find name "x"\n',
    );
  });

  it('says in its Error line why nothing is live yet', () => {
    const failedFirst: StatusDoc = {
      sync: { publishedHash: 'b'.repeat(40) },
      reloader: { current: null, releases: [doc.reloader!.releases![0]!] },
    };
    const text = renderReport(buildReport('u', failedFirst, undefined), plain, now);
    expect(text).toContain('Error    nothing is live yet: release #3 (bbbbbbb) failed: not ready within 5s');
    const waiting = renderReport(
      buildReport('u', { sync: {}, reloader: { releases: [] } }, undefined),
      plain,
      now,
    );
    expect(waiting).toContain('Error    nothing is live yet: waiting for the first revision to be published');
  });

  it('says when a rollback holds the live revision, and from what', () => {
    const pinned = { ...doc, sync: { ...doc.sync, pinned: { hash: 'a'.repeat(40), from: 'b'.repeat(40) } } };
    const text = renderReport(buildReport('u', pinned, undefined), plain, now);
    expect(text).toContain('Pinned   rolled back to aaaaaaa (from bbbbbbb) until the next push');
    expect(renderReport(buildReport('u', doc, undefined), plain, now)).not.toContain('Pinned');
  });

  it('writes relative times the short way', () => {
    expect(ago('2026-01-01T11:59:30Z', now)).toBe('30s ago');
    expect(ago('2026-01-01T09:00:00Z', now)).toBe('3h ago');
    expect(ago(undefined, now)).toBe('');
  });
});
