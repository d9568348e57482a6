import type { Logger } from '@gitpaas/core';
import type { Registry } from 'prom-client';
import { GitSyncError } from './errors.js';
import type { Gate } from './gate.js';
import { type GitContext, runGit } from './git.js';
import { metric } from './prom.js';
import { createRecycler, type PooledRevision, type Recycler } from './recycle.js';
import { defaultSteps, type SyncConfig, type SyncSteps } from './sync.js';
import { createWorktree, markComplete, removeWorktree } from './worktree.js';

/** How the last worktree was made (the publish event and the benchmark report it). */
export interface WorktreeReport {
  hash: string;
  ms: number;
  recycled: boolean;
}

export interface PipelineSteps extends SyncSteps {
  lastWorktree: WorktreeReport | null;
  /** Start-up repair of the recycling pool (emptied when recycling is off and nothing is kept). */
  recover(ctx: GitContext, config: SyncConfig): Promise<void>;
  /** The revisions kept outside `.worktrees` for a rollback (--keep-revisions), newest first. */
  kept(ctx: GitContext, config: SyncConfig): Promise<PooledRevision[]>;
  /** Keeps a spare worktree ready for the next revision once `hash` is published (recycling); true when it made one. */
  spare(ctx: GitContext, config: SyncConfig, hash: string): Promise<boolean>;
}

export interface PipelineOptions {
  gate: Gate | null;
  recycle: boolean;
  /** --keep-revisions: retired worktrees kept in the pool for a rollback. */
  keep: number;
  /** Null: nothing can read the metrics, none are kept. */
  registry: Registry | null;
  logger: Logger;
}

/** The sync pipeline with gitpaas's steps plugged in: worktree recycling and the pre-publish gate. */
export function pipelineSteps({ gate, recycle, keep, registry, logger }: PipelineOptions): PipelineSteps {
  const pooling = recycle || keep > 0;
  const seconds = metric(
    registry,
    (prom, registers) =>
      new prom.Histogram({
        name: 'gitpaas_worktree_seconds',
        help: 'Time to make the worktree of a new revision, by method (fresh checkout or recycled)',
        labelNames: ['method'],
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers,
      }),
  );

  const recycler = (ctx: GitContext, config: SyncConfig, maxPool?: number): Recycler =>
    createRecycler({
      root: config.layout.root,
      link: config.layout.link,
      submodules: config.submodules,
      maxPool,
      keep,
      recycle,
      logger,
      git: (cwd, args) =>
        runGit(ctx, args, { cwd, code: 'E_WORKTREE', what: `git ${args[0]} (recycling a worktree)` }),
    });

  /** The pooled tree prepare() is cleaning while this sync fetches (its directory when done). */
  let cleaning: Promise<string | null> | null = null;

  const steps: PipelineSteps = {
    ...defaultSteps,
    lastWorktree: null,

    prepare(ctx, config) {
      if (!recycle || keep > 0 || cleaning) return;
      // A failure here only means take() cleans the tree itself.
      cleaning = recycler(ctx, config)
        .clean(ctx.signal)
        .catch(() => null);
    },

    async settle() {
      const pending = cleaning;
      cleaning = null;
      await pending;
    },

    async makeWorktree(ctx, config, hash) {
      const started = performance.now();
      const cleaned = await cleaning;
      cleaning = null;
      const taken = pooling ? await recycler(ctx, config).take(hash, ctx.signal, cleaned) : null;
      if (taken) await markComplete(config.layout, taken, hash);
      const dir = taken ?? (await createWorktree(ctx, config.layout, hash, config));
      const ms = performance.now() - started;
      seconds.observe({ method: taken ? 'recycled' : 'fresh' }, ms / 1000);
      steps.lastWorktree = { hash, ms, recycled: taken !== null };
      return dir;
    },

    async gate(ctx, config, { hash, worktree, previous }) {
      if (!gate) return { ok: true };
      const verdict = await gate.check({ hash, worktree, previousHash: previous, signal: ctx.signal });
      if (ctx.signal.aborted) {
        throw ctx.stopSignal.aborted
          ? new GitSyncError('E_STOPPED', `stopped while the pre-publish gate checked ${hash.slice(0, 12)}`)
          : new GitSyncError(
              'E_TIMEOUT',
              `the sync took longer than --sync-timeout while the pre-publish gate checked ${hash.slice(0, 12)}: raise --sync-timeout above --pre-publish-exechook-timeout`,
            );
      }
      if (verdict.ok) return verdict;
      // Consumers never see a rejected tree; the recycler may keep it for the next revision.
      const kept = recycle && (await recycler(ctx, config).retire(worktree));
      if (!kept) await removeWorktree(ctx, config.layout, worktree);
      return { ok: false, reason: verdict.rejection.reason, output: verdict.rejection.output.join('\n') };
    },

    release: (ctx, config, dir) => (pooling ? recycler(ctx, config).retire(dir) : Promise.resolve(false)),

    held: (hash) => gate?.isRejected(hash) ?? false,

    async recover(ctx, config) {
      await recycler(ctx, config, pooling ? undefined : 0).recover();
    },

    kept: (ctx, config) => (pooling ? recycler(ctx, config).list() : Promise.resolve([])),

    async spare(ctx, config, hash) {
      return recycle ? recycler(ctx, config).spare(hash, ctx.signal) : false;
    },
  };
  return steps;
}
