import type { Counter, Gauge, Registry, Summary } from 'prom-client';
import { metric } from './prom.js';

/**
 * kubernetes/git-sync's metric names (dashboards keep working) plus gitpaas's own. Labels never
 * hold secrets. Without a registry (nothing can read them) they record nothing.
 */
export class SyncMetrics {
  readonly syncDuration: Summary<'status'>;
  readonly syncCount: Counter<'status'>;
  readonly fetchCount: Counter;
  readonly lsRemoteCount: Counter;
  readonly repairs: Counter<'how'>;
  readonly errors: Counter<'code'>;
  readonly consecutiveFailures: Gauge;
  readonly lastSuccess: Gauge;
  readonly published: Gauge<'hash'>;

  constructor(readonly registry: Registry | null) {
    const r = registry;
    this.syncDuration = metric(
      r,
      (prom, registers) =>
        new prom.Summary({
          name: 'git_sync_duration_seconds',
          help: 'Summary of git_sync durations',
          labelNames: ['status'] as const,
          registers,
        }),
    );
    this.syncCount = metric(
      r,
      (prom, registers) =>
        new prom.Counter({
          name: 'git_sync_count_total',
          help: 'How many git syncs completed, partitioned by state (success, error, noop)',
          labelNames: ['status'] as const,
          registers,
        }),
    );
    this.fetchCount = metric(
      r,
      (prom, registers) =>
        new prom.Counter({
          name: 'git_fetch_count_total',
          help: 'How many git fetches were run',
          registers,
        }),
    );
    this.lsRemoteCount = metric(
      r,
      (prom, registers) =>
        new prom.Counter({
          name: 'gitpaas_git_sync_ls_remote_total',
          help: 'How many times the remote was asked for the ref (cheap check before any fetch)',
          registers,
        }),
    );
    this.repairs = metric(
      r,
      (prom, registers) =>
        new prom.Counter({
          name: 'gitpaas_git_sync_repairs_total',
          help: 'Repairs of the published worktree: reset (a local commit or deleted files) or recreated (it was missing)',
          labelNames: ['how'] as const,
          registers,
        }),
    );
    this.errors = metric(
      r,
      (prom, registers) =>
        new prom.Counter({
          name: 'gitpaas_git_sync_errors_total',
          help: 'Failed syncs by error code',
          labelNames: ['code'] as const,
          registers,
        }),
    );
    this.consecutiveFailures = metric(
      r,
      (prom, registers) =>
        new prom.Gauge({
          name: 'gitpaas_git_sync_consecutive_failures',
          help: 'Failed syncs since the last success',
          registers,
        }),
    );
    this.lastSuccess = metric(
      r,
      (prom, registers) =>
        new prom.Gauge({
          name: 'gitpaas_git_sync_last_success_timestamp_seconds',
          help: 'Unix time of the last successful sync',
          registers,
        }),
    );
    this.published = metric(
      r,
      (prom, registers) =>
        new prom.Gauge({
          name: 'gitpaas_git_sync_published_info',
          help: 'The published revision (value 1, hash in the label)',
          labelNames: ['hash'] as const,
          registers,
        }),
    );
    for (const status of ['success', 'error', 'noop']) this.syncCount.inc({ status }, 0);
    this.consecutiveFailures.set(0);
  }

  observe(status: 'success' | 'error' | 'noop', seconds: number): void {
    this.syncDuration.observe({ status }, seconds);
    this.syncCount.inc({ status });
  }

  setPublished(hash: string): void {
    this.published.reset();
    this.published.set({ hash }, 1);
  }
}
