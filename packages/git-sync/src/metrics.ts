import { Counter, Gauge, Registry, Summary } from 'prom-client';

/** kubernetes/git-sync's metric names (dashboards keep working) plus gitpaas's own. Labels never hold secrets. */
export class SyncMetrics {
  readonly registry = new Registry();
  readonly syncDuration = new Summary({
    name: 'git_sync_duration_seconds',
    help: 'Summary of git_sync durations',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly syncCount = new Counter({
    name: 'git_sync_count_total',
    help: 'How many git syncs completed, partitioned by state (success, error, noop)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly fetchCount = new Counter({
    name: 'git_fetch_count_total',
    help: 'How many git fetches were run',
    registers: [this.registry],
  });
  readonly lsRemoteCount = new Counter({
    name: 'gitpaas_git_sync_ls_remote_total',
    help: 'How many times the remote was asked for the ref (cheap check before any fetch)',
    registers: [this.registry],
  });
  readonly repairs = new Counter({
    name: 'gitpaas_git_sync_repairs_total',
    help: 'Repairs of the published worktree: reset (a local commit or deleted files) or recreated (it was missing)',
    labelNames: ['how'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'gitpaas_git_sync_errors_total',
    help: 'Failed syncs by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly consecutiveFailures = new Gauge({
    name: 'gitpaas_git_sync_consecutive_failures',
    help: 'Failed syncs since the last success',
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: 'gitpaas_git_sync_last_success_timestamp_seconds',
    help: 'Unix time of the last successful sync',
    registers: [this.registry],
  });
  readonly published = new Gauge({
    name: 'gitpaas_git_sync_published_info',
    help: 'The published revision (value 1, hash in the label)',
    labelNames: ['hash'] as const,
    registers: [this.registry],
  });

  constructor() {
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
