import { type Colors, formatDuration } from '@gitpaas/core';
import type { CommitInfo } from './git.js';

/** The release record of @gitpaas/reloader, as it appears in JSON. */
export interface ReleaseDoc {
  id: number;
  revision: string | null;
  dir: string;
  outcome: string;
  reason?: string;
  lastOutput?: string[];
  /** How it was built and started (detected or given), and whether its dependencies came from the cache. */
  setup?: { plan: string; cache?: 'hit' | 'miss' | 'off' };
  times: {
    detected: string;
    buildMs?: number;
    installMs?: number;
    readyMs?: number;
    switchedAt?: string;
    endedAt?: string;
  };
}

/** How many output lines of the newest failed release the screen shows under the table. */
const OUTPUT_SHOWN = 6;

const CACHE_TEXT = {
  hit: 'dependencies reused (manifests unchanged)',
  miss: 'dependencies installed (manifests changed)',
  off: 'dependencies installed (not cached)',
} as const;

/** The combined document `gitpaas up` serves on GET /status. */
export interface StatusDoc {
  sync?: Record<string, unknown>;
  reloader?: { current?: ReleaseDoc | null; pid?: number | null; uptimeMs?: number; releases?: ReleaseDoc[] };
}

/** What `gitpaas status --json` prints: the document plus the live commit, read from its worktree. */
export interface StatusReport {
  url: string;
  live: (CommitInfo & { release: number; since?: string; setup?: ReleaseDoc['setup'] }) | null;
  sync: Record<string, unknown> | null;
  releases: ReleaseDoc[];
}

export function buildReport(url: string, doc: StatusDoc, commit: CommitInfo | undefined): StatusReport {
  const current = doc.reloader?.current ?? null;
  const live = current
    ? {
        hash: commit?.hash ?? current.revision ?? '',
        subject: commit?.subject ?? '',
        author: commit?.author ?? '',
        date: commit?.date ?? '',
        release: current.id,
        since: current.times.switchedAt,
        ...(current.setup ? { setup: current.setup } : {}),
      }
    : null;
  return { url, live, sync: doc.sync ?? null, releases: doc.reloader?.releases ?? [] };
}

/** "3m ago", "2h ago": how long before `now`. */
export function ago(iso: string | undefined, now: number): string {
  if (!iso) return '';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

function ms(value: number | undefined): string {
  return value === undefined ? '-' : formatDuration(Math.round(value));
}

function field(sync: Record<string, unknown> | null, ...keys: string[]): unknown {
  for (const key of keys) if (sync && sync[key] !== undefined && sync[key] !== null) return sync[key];
  return undefined;
}

function errorText(value: unknown): string | undefined {
  if (!value) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object') {
    const { message, code } = value as { message?: string; code?: string };
    if (message) return code ? `${code}: ${message}` : message;
  }
  return JSON.stringify(value);
}

function outcomeColor(outcome: string, colors: Colors): (text: string) => string {
  switch (outcome) {
    case 'live':
      return colors.green;
    case 'failed':
      return colors.red;
    case 'starting':
      return colors.yellow;
    default:
      return colors.dim;
  }
}

/** Why nothing is live: the newest release's fate, or that no revision has come yet. */
function notLiveBecause(report: StatusReport): string {
  const newest = report.releases[0];
  if (!newest) return 'nothing is live yet: waiting for the first revision to be published';
  const which = `release #${newest.id} (${newest.revision?.slice(0, 7) ?? 'dir'})`;
  if (newest.outcome === 'starting') return `nothing is live yet: ${which} is building or starting`;
  if (newest.outcome === 'failed')
    return `nothing is live yet: ${which} failed: ${newest.reason ?? 'see its output'}`;
  return `nothing is live: ${which} ${newest.outcome}${newest.reason ? `: ${newest.reason}` : ''}`;
}

/** The readable `gitpaas status` screen. */
export function renderReport(report: StatusReport, colors: Colors, now: number, limit = 8): string {
  const lines: string[] = [];
  const label = (text: string) => colors.bold(text.padEnd(9));
  lines.push(`${colors.bold('gitpaas')} ${colors.dim(`at ${report.url}`)}`, '');

  if (report.live) {
    const { live } = report;
    const commit = live.subject ? ` ${live.subject}` : '';
    const by = live.author ? colors.dim(` (${live.author}, committed ${ago(live.date, now)})`) : '';
    lines.push(`${label('Live')}${colors.green(live.hash.slice(0, 7))}${commit}${by}`);
    if (live.since) {
      lines.push(`${' '.repeat(9)}since ${live.since} (${ago(live.since, now)}), release #${live.release}`);
    }
    if (live.setup) {
      const cache = live.setup.cache ? colors.dim(` · ${CACHE_TEXT[live.setup.cache]}`) : '';
      lines.push(`${label('Setup')}${live.setup.plan}${cache}`);
    }
  } else {
    lines.push(
      `${label('Live')}${colors.yellow('nothing yet')} (waiting for the first revision to get ready)`,
    );
  }

  const sync = report.sync;
  const repo = field(sync, 'repo');
  if (repo) {
    const ref = field(sync, 'ref');
    lines.push(`${label('Repo')}${repo}${ref ? ` @ ${ref}` : ''}`);
  }
  if (sync) {
    const published = field(sync, 'publishedHash', 'hash');
    const lastOk = field(sync, 'lastSuccessAt', 'lastSyncSuccess', 'lastSyncAt', 'lastSync') as
      | string
      | undefined;
    const failures = Number(field(sync, 'consecutiveFailures') ?? 0);
    const parts = [
      published ? `published ${String(published).slice(0, 7)}` : 'nothing published yet',
      lastOk && typeof lastOk === 'string' ? `last sync ${ago(lastOk, now)}` : undefined,
      failures > 0 ? colors.red(`${failures} failure${failures === 1 ? '' : 's'} in a row`) : undefined,
    ].filter(Boolean);
    lines.push(`${label('Sync')}${parts.join(' · ')}`);
  }
  const pinned = field(sync, 'pinned') as { hash?: string; from?: string | null } | undefined;
  if (pinned?.hash) {
    const from = pinned.from ? ` (from ${pinned.from.slice(0, 7)})` : '';
    lines.push(
      `${label('Pinned')}${colors.yellow(`rolled back to ${pinned.hash.slice(0, 7)}${from}`)} until the next push or \`gitpaas rollback --clear\``,
    );
  }
  const errors = [errorText(field(sync, 'lastError')), report.live ? undefined : notLiveBecause(report)];
  const shown = errors.filter((error): error is string => Boolean(error));
  if (shown.length === 0) lines.push(`${label('Error')}${colors.dim('none')}`);
  for (const [i, error] of shown.entries()) {
    lines.push(`${i === 0 ? label('Error') : ' '.repeat(9)}${colors.red(error)}`);
  }

  lines.push('', colors.bold('Releases'));
  if (report.releases.length === 0) {
    lines.push(colors.dim('  none yet'));
  } else {
    const rows = report.releases
      .slice(0, limit)
      .map((r) => [
        `#${r.id}`,
        (r.revision ?? '-').slice(0, 7),
        r.outcome,
        ms(r.times.buildMs),
        ms(r.times.readyMs),
        ago(r.times.detected, now),
        r.reason ?? '',
      ]);
    const header = ['RELEASE', 'REVISION', 'OUTCOME', 'BUILD', 'READY', 'DETECTED', 'REASON'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const pad = (cells: string[]) =>
      cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)));
    lines.push(colors.dim(`  ${pad(header).join('  ')}`.trimEnd()));
    for (const row of rows) {
      const cells = pad(row);
      cells[2] = outcomeColor(row[2]!, colors)(cells[2]!);
      lines.push(`  ${cells.join('  ')}`.trimEnd());
    }
    if (report.releases.length > limit) lines.push(colors.dim(`  … ${report.releases.length - limit} older`));
    const failed = report.releases.slice(0, limit).find((r) => r.outcome === 'failed');
    const output = failed?.lastOutput?.filter((line) => line.trim()).slice(-OUTPUT_SHOWN) ?? [];
    if (failed && output.length) {
      lines.push(
        '',
        colors.bold(`Last output of #${failed.id}`) +
          colors.dim(` (${failed.revision?.slice(0, 7) ?? '-'}, failed)`),
      );
      for (const line of output) lines.push(colors.dim(`  │ ${line}`));
    }
  }
  return `${lines.join('\n')}\n`;
}
