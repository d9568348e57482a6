import type { Emitter, Logger, Redactor } from '@gitpaas/core';
import type { ResolvedOptions } from './config.js';
import { GitSyncError } from './errors.js';
import type { GitSyncEvents } from './events.js';
import { removeErrorFile, rootPath, touch, writeErrorFile } from './files.js';
import type { Gate } from './gate.js';
import { DISK_FULL_HINT } from './git.js';
import type { HookRunner } from './hooks.js';
import type { Layout } from './layout.js';
import type { SyncMetrics } from './metrics.js';
import { listRevisions } from './retention.js';
import type { GitSyncStatus } from './status.js';
import { inInitialPhase } from './status.js';
import type { PipelineSteps } from './steps.js';
import type { SyncOutcome } from './sync.js';

/** What the reporting reads and writes: the scheduler's state and the outputs a sync reports into. */
export interface ReportTargets {
  options: ResolvedOptions;
  layout: Layout;
  /** Updated in place: the scheduler and status() read the same object. */
  state: GitSyncStatus;
  metrics: SyncMetrics;
  redactor: Redactor;
  logger: Logger;
  events: Pick<Emitter<GitSyncEvents>, 'emit'>;
  gate: Gate | null;
  /** How the last worktree was made (for the publish event). */
  pipeline: Pick<PipelineSteps, 'lastWorktree'>;
  /** --exechook-command and --webhook-url, sent every published hash. */
  hooks: readonly HookRunner[];
}

/** Any failure of a sync as a GitSyncError, its message redacted; a full disk says so whichever step met it. */
export function syncError(thrown: unknown, redactor: Redactor): GitSyncError {
  const errno = (thrown instanceof GitSyncError ? thrown.cause : thrown) as NodeJS.ErrnoException | undefined;
  if (errno?.code === 'ENOSPC' || errno?.code === 'EDQUOT') {
    const message = thrown instanceof GitSyncError ? thrown.message : `sync failed: ${errno.message}`;
    return new GitSyncError('E_DISK_FULL', `${redactor.redact(message)}${DISK_FULL_HINT}`, { cause: thrown });
  }
  if (thrown instanceof GitSyncError) return thrown;
  const message = String((thrown as Error)?.message ?? thrown);
  return new GitSyncError('E_GIT', `sync failed: ${redactor.redact(message)}`, { cause: thrown });
}

/**
 * Everything a finished sync changes outside the sync itself: the status, the metrics, the log,
 * --error-file and --touch-file, the events, and the hooks (kubernetes/git-sync's reporting).
 */
export class SyncReport {
  constructor(private readonly t: ReportTargets) {}

  /** Records a successful sync; true when the revisions on disk may have changed (the caller re-reads its own list of them). */
  async succeeded(outcome: SyncOutcome, durationMs: number): Promise<boolean> {
    const { state, metrics, logger, options, layout } = this.t;
    const firstInProcess = state.syncCount === 0;
    const now = new Date().toISOString();
    state.lastSyncAt = now;
    state.lastSyncDurationMs = Math.round(durationMs);
    const notPublished = outcome.kind === 'rejected' || outcome.kind === 'held';
    state.lastSyncOutcome = notPublished ? 'rejected' : outcome.kind;
    state.rejected = this.t.gate?.rejected ?? null;
    const revisionsChanged = revisionsMayHaveChanged(outcome, firstInProcess);
    if (revisionsChanged)
      state.revisions = (await listRevisions(layout, notPublished ? state.publishedHash : outcome.hash)).map(
        (revision) => ({ hash: revision.hash, since: revision.since.toISOString() }),
      );
    if (outcome.kind === 'held') {
      metrics.observe('noop', durationMs / 1000);
      logger.debug('the ref still points at the rejected revision; waiting for it to move', {
        hash: outcome.hash,
      });
      return revisionsChanged;
    }
    if (outcome.kind === 'rejected') {
      metrics.observe('error', durationMs / 1000);
      logger.warn('revision rejected before publishing, keeping the published one until the ref moves', {
        hash: outcome.hash,
        reason: outcome.reason,
        output: outcome.output,
      });
      this.t.events.emit('reject', { hash: outcome.hash, reason: outcome.reason, output: outcome.output });
      return revisionsChanged;
    }
    const changed = outcome.kind === 'published';
    state.syncCount++;
    if (inInitialPhase(state) && options.initPeriod !== undefined && options.initPeriod !== options.period) {
      logger.info('initial sync complete, switching to --period', {
        initPeriod: options.initPeriod,
        period: options.period,
      });
    }
    state.ready = true;
    state.publishedHash = outcome.hash;
    state.lastSuccessAt = now;
    state.consecutiveFailures = 0;
    state.lastError = null;
    metrics.consecutiveFailures.set(0);
    metrics.lastSuccess.set(Date.now() / 1000);
    metrics.setPublished(outcome.hash);
    metrics.observe(changed ? 'success' : 'noop', durationMs / 1000);
    if (options.errorFile) await removeErrorFile(rootPath(layout.root, options.errorFile)).catch(() => {});
    if (changed) {
      logger.info('updated successfully', {
        ref: options.ref,
        hash: outcome.hash,
        previous: outcome.previous,
        durationMs: Math.round(durationMs),
      });
    } else {
      logger.debug('update not required', { ref: options.ref, hash: outcome.hash });
    }
    // Like kubernetes/git-sync, the first sync of a process counts as a publish (hooks, touch file).
    if (changed || firstInProcess) await this.published(outcome.hash, changed, durationMs);
    this.t.events.emit('sync', { hash: outcome.hash, changed, durationMs });
    return revisionsChanged;
  }

  /** Records a failed sync; true when it was the last failure allowed (the loop stops). */
  async failed(error: GitSyncError, durationMs: number): Promise<boolean> {
    const { state, metrics, logger, options, layout, redactor } = this.t;
    const failures = ++state.consecutiveFailures;
    const now = new Date().toISOString();
    state.lastSyncAt = now;
    state.lastSyncDurationMs = Math.round(durationMs);
    state.lastSyncOutcome = 'error';
    state.lastError = { code: error.code, message: redactor.redact(error.message), at: now };
    metrics.observe('error', durationMs / 1000);
    metrics.errors.inc({ code: error.code });
    metrics.consecutiveFailures.set(failures);
    const max =
      inInitialPhase(state) && options.initMaxFailures !== undefined
        ? options.initMaxFailures
        : options.maxFailures;
    const fatal = max >= 0 && failures >= max;
    const msg = fatal ? 'too many failures, giving up' : 'sync failed, will retry';
    logger.error(msg, {
      code: error.code,
      error: error.message,
      consecutiveFailures: failures,
      maxFailures: max,
    });
    if (options.errorFile) {
      await writeErrorFile(rootPath(layout.root, options.errorFile), msg, redactor.redact(error.message), {
        code: error.code,
        failCount: failures,
      }).catch((writeError: unknown) =>
        logger.warn('cannot write --error-file', { error: String(writeError) }),
      );
    }
    this.t.events.emit('error', { error, consecutiveFailures: failures });
    return fatal;
  }

  /** --touch-file, the publish event and the hooks. */
  private async published(hash: string, changed: boolean, durationMs: number): Promise<void> {
    const { options, layout, logger, pipeline } = this.t;
    if (options.touchFile) {
      await touch(rootPath(layout.root, options.touchFile)).catch((error: unknown) =>
        logger.warn('cannot touch --touch-file', { error: String(error) }),
      );
    }
    const made = changed && pipeline.lastWorktree?.hash === hash ? pipeline.lastWorktree : null;
    this.t.events.emit('publish', {
      hash,
      worktree: `${layout.worktrees}/${hash}`,
      link: layout.link,
      durationMs,
      ...(made ? { recycled: made.recycled, worktreeMs: made.ms } : {}),
    });
    for (const hook of this.t.hooks) hook.send(hash);
  }
}

/** A poll that found nothing new and removed nothing left the revisions on disk as they were: no readdir per poll. */
function revisionsMayHaveChanged(outcome: SyncOutcome, firstInProcess: boolean): boolean {
  return outcome.kind !== 'noop' || outcome.removed > 0 || firstInProcess;
}
