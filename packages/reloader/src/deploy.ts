import { backoffMs } from '@gitpaas/core';
import type { Child } from './child.js';
import type { Context } from './context.js';
import { formatMs, messageOf } from './format.js';
import { launch, spawnApp } from './launch.js';
import { OutputTail } from './output.js';
import { freePort } from './port.js';
import { exitedError } from './ready.js';
import { retire, switchTo } from './switch.js';
import type { Target } from './watch.js';

/** First start with nothing to keep serving: retry 1 s doubling to 30 s. */
const FIRST_START_BACKOFF = { baseMs: 1000, capMs: 30_000 } as const;

/** The release being deployed, abandoned (aborted) when a newer revision arrives before it switched. */
interface Attempt {
  target: Target;
  controller: AbortController;
  switched: boolean;
}

/**
 * The deploy queue: one release at a time, build → start → ready → switch. A change arriving
 * meanwhile is kept in `pending` (never lost) and runs next; only the newest one is kept.
 */
export class Deploys {
  /** The newest target detected: what a failed first start tries again. */
  private latest: Target | null = null;
  private pending: Target | null = null;
  private attempt: Attempt | null = null;
  private loop: Promise<void> | null = null;
  private firstStartFailures = 0;

  constructor(private readonly ctx: Context) {}

  /** Whether a release is being deployed or waits to be. */
  get busy(): boolean {
    return this.pending !== null || this.attempt !== null;
  }

  /** A new revision (or directory change): it runs next; resolves once the queue is empty. */
  push(target: Target): Promise<void> {
    this.latest = target;
    this.pending = target;
    // In revision mode an attempt that has not switched yet is pointless once a newer revision is
    // published: abort it so a quick double flip ends in one replacement, to the newest.
    const attempt = this.attempt;
    if (attempt && !attempt.switched && target.revision !== null && attempt.target.dir !== target.dir) {
      attempt.controller.abort();
    }
    return this.kick();
  }

  /** Runs `target` next without making it the newest (a rollback). */
  rerun(target: Target): void {
    this.pending = target;
    void this.kick();
  }

  /** Abandons the release under way and waits for the queue to end (stop()). */
  async stop(): Promise<void> {
    this.attempt?.controller.abort();
    await this.loop;
  }

  private kick(): Promise<void> {
    this.loop ??= (async () => {
      try {
        while (this.pending && !this.ctx.stopped) {
          const target = this.pending;
          this.pending = null;
          await this.deploy(target);
        }
      } finally {
        this.loop = null;
      }
    })();
    return this.loop;
  }

  private async deploy(target: Target): Promise<void> {
    const { ctx } = this;
    const { logger } = ctx.options;
    const release = ctx.ledger.create(target.revision, target.dir);
    if (target.note) release.reason = target.note;
    const attempt: Attempt = { target, controller: new AbortController(), switched: false };
    this.attempt = attempt;
    const { signal } = attempt.controller;
    const output = new OutputTail();
    let child: Child | null = null;
    logger.info(`starting release ${release.id}`, { revision: target.revision, dir: target.dir });
    try {
      const plan = await ctx.builder.prepare(release, output, signal, ctx.watchesRevisions);
      if (ctx.proxy) {
        // Handoff: the new process starts beside the old one and takes over once it is ready.
        signal.throwIfAborted();
        const running = spawnApp(ctx, release, output, await freePort(), plan.command, plan.env);
        child = running.child;
        await launch(ctx, running, signal);
        attempt.switched = true;
        switchTo(ctx, running);
      } else {
        // Restart mode: the old process stops before the new one starts.
        const old = ctx.live;
        if (old) {
          ctx.live = null;
          await retire(ctx, old);
        }
        signal.throwIfAborted();
        const running = spawnApp(ctx, release, output, null, plan.command, plan.env);
        child = running.child;
        if (!(await running.child.spawned)) throw exitedError(await running.child.exited);
        attempt.switched = true;
        switchTo(ctx, running);
      }
      this.firstStartFailures = 0;
    } catch (error) {
      await child?.stop();
      const superseded = signal.aborted;
      const reason = ctx.stopped
        ? 'the reloader stopped before it was ready'
        : superseded
          ? 'a newer revision arrived before it was ready'
          : messageOf(error);
      release.lastOutput = output.lines();
      ctx.end(release, superseded ? 'superseded' : 'failed', reason);
      if (!superseded) {
        const kept = ctx.live ? 'the previous release keeps serving' : 'nothing to keep serving';
        logger.error(`release ${release.id} failed; ${kept}`, { revision: release.revision, reason });
        if (!ctx.live && !ctx.stopped) this.retryFirstStart();
      }
    } finally {
      if (this.attempt === attempt) this.attempt = null;
      this.ctx.builder.prune();
    }
  }

  /** Nothing is serving and the release failed: try the newest target again after a backoff. */
  private retryFirstStart(): void {
    this.firstStartFailures++;
    const delay = backoffMs(this.firstStartFailures, FIRST_START_BACKOFF.baseMs, FIRST_START_BACKOFF.capMs);
    this.ctx.options.logger.warn(`nothing is running; retrying in ${formatMs(delay)}`);
    this.ctx.later(delay, () => {
      if (this.ctx.live || this.pending || !this.latest) return;
      this.pending = this.latest;
      void this.kick();
    });
  }
}
