import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deadline, Emitter, type Logger, type Redactor } from '@gitpaas/core';
import type { Registry } from 'prom-client';
import { addUser } from './add-user.js';
import type { GitSync, GitSyncRuntime } from './api.js';
import type { Auth } from './auth.js';
import type { GitSyncOptions, ResolvedOptions } from './config.js';
import { type Deferred, deferred } from './deferred.js';
import { GitSyncError } from './errors.js';
import type { GitSyncEvents } from './events.js';
import type { Gate } from './gate.js';
import type { GitContext } from './git.js';
import { gitEnvironment } from './git-env.js';
import type { HookRunner } from './hooks.js';
import { boundAddress, closeServer, type HttpRoutes, listen } from './http.js';
import type { Layout } from './layout.js';
import type { SyncMetrics } from './metrics.js';
import { OneTime } from './one-time.js';
import { gitSyncBase, wireParts } from './parts.js';
import { promClient } from './prom.js';
import { readPublished, recordPublishedRef } from './publish.js';
import { haveCommit } from './remote.js';
import { ensureRepo } from './repo.js';
import { type SyncReport, syncError } from './report.js';
import { recover } from './retention.js';
import type { RollbackRequest, RollbackResult, Rollbacks } from './rollback.js';
import { nextWait } from './schedule.js';
import { type Reshape, readShape, reshapeFor, type Shape, writeShape } from './shape.js';
import type { GitSyncStatus } from './status.js';
import type { PipelineSteps } from './steps.js';
import { type SyncConfig, type SyncProbe, syncOnce } from './sync.js';
import { syncOnSignal } from './trigger-signal.js';

export type { GitSync, GitSyncRuntime } from './api.js';

export function createGitSync(options: GitSyncOptions & GitSyncRuntime): GitSync {
  return new GitSyncRunner(options);
}

/** The scheduler: runs syncOnce every period (or on demand), counts failures, backs off; SyncReport reports. */
class GitSyncRunner extends Emitter<GitSyncEvents> implements GitSync {
  private readonly options: ResolvedOptions;
  private readonly layout: Layout;
  private readonly redactor: Redactor;
  private readonly logger: Logger;
  private readonly routes: HttpRoutes;
  private readonly metrics: SyncMetrics;
  /** Interrupts the spare worktree being prepared (a sync or rollback was asked for). */
  private spareInterrupt: AbortController | null = null;
  /** What `registry` gives when no metrics are kept. */
  private emptyRegistry: Registry | null = null;
  private readonly auth: Auth;
  /** The pre-publish gate, when --pre-publish-exechook-command is set. */
  private readonly gate: Gate | null;
  /** The sync pipeline with worktree recycling and the gate plugged in. */
  private readonly pipeline: PipelineSteps;
  /** --exechook-command and --webhook-url, each delivering the latest published hash. */
  private readonly hooks: HookRunner[];
  private readonly report: SyncReport;
  private readonly state: GitSyncStatus;
  private readonly rollbacks: Rollbacks;
  private readonly probe: SyncProbe = {
    lsRemote: () => this.metrics.lsRemoteCount.inc(),
    fetched: () => this.metrics.fetchCount.inc(),
    repaired: (how) => this.metrics.repairs.inc({ how }),
  };
  private readonly stopController = new AbortController();
  private stopSignalListener: (() => void) | null = null;
  private server: Server | null = null;
  private loopDone: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** The next sync asked for by syncNow(), shared by every caller until it runs. */
  private pending: Deferred | null = null;
  private wake: (() => void) | null = null;
  /** Whether the pool may lack a spare worktree: true after a publish, false once prepareSpare() looked. */
  private spareWanted = true;
  private oneTime: OneTime | null = null;
  private recovered = false;
  /** What the first sync must redo for a changed --depth or --submodules (set at recovery). */
  private reshape: Reshape = { refetch: false, resubmodule: false };
  private shapeRecorded = false;

  constructor(input: GitSyncOptions & GitSyncRuntime) {
    const base = gitSyncBase(input);
    // A listener that throws is the caller's bug: it is logged and the loop goes on.
    super((error, event) =>
      base.logger.error(`a '${event}' listener threw; syncing goes on`, { error: String(error) }),
    );
    const parts = wireParts(base, {
      events: this,
      stopSignal: this.stopController.signal,
      request: (reason, announced) => this.request(reason, announced),
      rollback: (revision) => this.rollback(revision),
      clearRollback: () => this.clearRollback(),
      status: () => this.status(),
    });
    this.options = parts.options;
    this.redactor = parts.redactor;
    this.logger = parts.logger;
    this.metrics = parts.metrics;
    this.auth = parts.auth;
    this.layout = parts.layout;
    this.state = parts.state;
    this.gate = parts.gate;
    this.pipeline = parts.pipeline;
    this.hooks = parts.hooks;
    this.report = parts.report;
    this.routes = parts.routes;
    this.rollbacks = parts.rollbacks;
  }

  get registry(): Registry {
    if (this.metrics.registry) return this.metrics.registry;
    this.emptyRegistry ??= new (promClient().Registry)();
    return this.emptyRegistry;
  }

  async start(): Promise<void> {
    if (this.loopDone || this.stopping) throw new GitSyncError('E_STOPPED', 'start() was already called');
    const { addUser: wantUser, httpAddress, httpBind, syncOnSignal: signal } = this.options;
    if (wantUser) await addUser();
    if (httpAddress && httpBind) this.server = await listen(httpAddress, httpBind, this.routes);
    if (signal) this.stopSignalListener = syncOnSignal(signal, (reason) => this.request(reason, true));
    this.logger.info('starting', {
      repo: this.options.repo,
      ref: this.options.ref,
      root: this.layout.root,
      link: this.layout.link,
      period: this.options.period,
    });
    if (this.options.oneTime) this.oneTime = new OneTime();
    this.loopDone = this.loop();
    if (this.oneTime) await this.oneTime.promise;
  }

  async stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  syncNow(reason = 'requested'): Promise<void> {
    return this.request(reason, false);
  }

  /** A sync asked for; `announced` by a push (POST /sync, a webhook, --sync-on-signal). */
  private request(reason: string, announced: boolean): Promise<void> {
    if (this.stopped) return Promise.reject(new GitSyncError('E_STOPPED', 'git-sync is stopped'));
    this.pending ??= deferred();
    // A flood of triggers names the same reason thousands of times: keep each once.
    if (!this.pending.reasons.includes(reason)) this.pending.reasons.push(reason);
    if (announced) this.pending.announced = true;
    this.spareInterrupt?.abort();
    this.wake?.();
    return this.pending.promise;
  }

  rollback(revision?: string): Promise<RollbackResult> {
    if (this.stopped || this.state.state === 'failed' || this.state.state === 'done') {
      return Promise.reject(
        new GitSyncError('E_STOPPED', 'the sync loop is not running: nothing can be rolled back'),
      );
    }
    const result = this.rollbacks.request(revision);
    this.spareInterrupt?.abort();
    this.wake?.();
    return result;
  }

  async clearRollback(): Promise<boolean> {
    const cleared = await this.rollbacks.clear();
    if (cleared) this.syncNow('rollback cleared').catch(() => {});
    return cleared;
  }

  status(): GitSyncStatus {
    return this.redactor.redactValue(structuredClone(this.state));
  }

  redact(text: string): string {
    return this.redactor.redact(text);
  }

  handleHttp(req: IncomingMessage, res: ServerResponse): boolean {
    return this.routes.handle(req, res);
  }

  httpAddress(): AddressInfo | null {
    return this.server ? boundAddress(this.server) : null;
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  private async shutdown(): Promise<void> {
    this.stopController.abort();
    this.stopSignalListener?.();
    this.wake?.();
    const hooksStopped = Promise.all(this.hooks.map((hook) => hook.stop()));
    this.pending?.reject(new GitSyncError('E_STOPPED', 'git-sync stopped before this sync ran'));
    this.pending = null;
    this.rollbacks.abandon(new GitSyncError('E_STOPPED', 'git-sync stopped before this rollback ran'));
    this.oneTime?.fail(new GitSyncError('E_STOPPED', 'git-sync stopped before the first successful sync'));
    if (this.loopDone) {
      // git is killed at once (SIGTERM, then SIGKILL); do not wait on a slow filesystem beyond that.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.loopDone, new Promise((resolve) => (timer = setTimeout(resolve, 900)))]);
      clearTimeout(timer);
    }
    if (this.server) await closeServer(this.server);
    await hooksStopped;
    if (this.state.state !== 'failed') this.state.state = 'stopped';
    this.state.nextSyncAt = null;
    this.logger.info('stopped');
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      // A rollback asked for runs before the next sync.
      const rollback = this.rollbacks.next();
      const request = rollback ? null : this.pending;
      if (!rollback) this.pending = null;
      const reason = rollback ? 'rollback' : (request?.reasons.join(', ') ?? 'period');
      const result = await this.runOnce(reason, rollback, request?.announced ?? false);
      if (request) {
        if (result === true) request.resolve();
        else request.reject(result);
      }
      if (this.stopped || this.state.state === 'failed') break;
      if (this.oneTime && result === true) {
        this.state.state = (await this.oneTime.finish(this.state, this.hooks)) ? 'done' : 'failed';
        break;
      }
      if (this.pending || this.rollbacks.queued) continue;
      // The period runs from the sync's end: the spare tree is made within it, not before it.
      const syncEnded = performance.now();
      if (result === true) await this.prepareSpare();
      if (this.stopped) break;
      if (this.pending || this.rollbacks.queued) continue;
      const period = nextWait(this.options, this.state, result === true);
      const delay = period === null ? null : Math.max(0, period - (performance.now() - syncEnded));
      this.state.state = delay === null ? 'idle' : 'waiting';
      this.state.nextSyncAt = delay === null ? null : new Date(Date.now() + delay).toISOString();
      this.state.nextSyncDelayMs = period;
      await this.sleep(delay);
    }
  }

  /** Waits `ms` (null: until woken), returning early on syncNow() or stop(). */
  private sleep(ms: number | null): Promise<void> {
    return new Promise((resolve) => {
      // The idle wait keeps a timer referenced so a bare bin stays up, as the peer's sleepForever.
      const timer = ms === null ? setInterval(() => {}, 1 << 30) : setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        clearInterval(timer);
        this.wake = null;
        resolve();
      };
      this.wake = done;
    });
  }

  /**
   * One sync (or the rollback asked for) with all its reporting; true on success, the error
   * otherwise. A rollback that fails is its caller's error, not a sync failure. `announced`: a
   * push announced it (the ref has most likely moved).
   */
  private async runOnce(
    reason: string,
    rollback: RollbackRequest | null,
    announced: boolean,
  ): Promise<true | GitSyncError> {
    const startedAt = performance.now();
    this.state.state = 'syncing';
    this.state.nextSyncAt = null;
    this.logger.debug('syncing', { reason });
    const limit = deadline(this.options.syncTimeout, [this.stopController.signal]);
    try {
      const ctx = await this.gitContext(limit.signal);
      if (!this.recovered) await this.recover(ctx);
      const config = this.syncConfig();
      const outcome = rollback
        ? await this.rollbacks.apply(ctx, config, this.pipeline, this.probe, rollback)
        : await syncOnce(
            ctx,
            await this.rollbacks.configFor(ctx, config, this.probe),
            this.pipeline,
            this.probe,
            announced,
          );
      if (outcome.kind === 'noop' || outcome.kind === 'published') await this.reshaped();
      const revisionsChanged = await this.report.succeeded(outcome, performance.now() - startedAt);
      if (revisionsChanged) {
        await this.refreshKept(ctx, config);
        // A publish may have used the spare (or left none yet): prepareSpare() looks once, not every poll.
        this.spareWanted = true;
      }
      if (rollback) this.rollbacks.settle(rollback, outcome, this.gate?.rejected?.reason);
      return true;
    } catch (thrown) {
      const error = syncError(thrown, this.redactor);
      if (rollback) {
        rollback.reject(error);
        if (error.code !== 'E_STOPPED')
          this.logger.warn('rollback failed', { code: error.code, error: error.message });
        return error;
      }
      if (error.code === 'E_STOPPED' && this.stopped) return error;
      if (await this.report.failed(error, performance.now() - startedAt)) {
        this.state.state = 'failed';
        this.oneTime?.fail(error);
        this.emit('fatal', { error });
      }
      return error;
    } finally {
      limit.clear();
    }
  }

  private async gitContext(signal: AbortSignal): Promise<GitContext> {
    const env = gitEnvironment(await this.auth.env(), this.options.gitConfigPairs, this.redactor);
    return {
      env: env.local,
      remoteEnv: env.remote,
      signal,
      stopSignal: this.stopController.signal,
      timeoutMs: this.options.syncTimeout,
      redactor: this.redactor,
      logger: this.logger,
    };
  }

  /** The pooled revisions status reports: read again only when a sync or a spare may have changed them. */
  private async refreshKept(ctx: GitContext, config: SyncConfig): Promise<void> {
    this.state.kept = (await this.pipeline.kept(ctx, config)).map(({ hash, since }) => ({
      hash,
      since: since.toISOString(),
    }));
  }

  /**
   * Between syncs, keeps a spare worktree ready so that the next revision costs its diff, even the
   * first one after a start. A sync asked for meanwhile interrupts it (it is made again later).
   */
  private async prepareSpare(): Promise<void> {
    const published = this.state.publishedHash;
    if (!published || !this.spareWanted) return;
    const interrupt = new AbortController();
    this.spareInterrupt = interrupt;
    const limit = deadline(this.options.syncTimeout, [this.stopController.signal, interrupt.signal]);
    try {
      const ctx = await this.gitContext(limit.signal);
      const config = this.syncConfig();
      if (await this.pipeline.spare(ctx, config, published)) await this.refreshKept(ctx, config);
      this.spareWanted = false;
    } catch (error) {
      this.logger.debug('no spare worktree', { error: String(error) });
    } finally {
      limit.clear();
      this.spareInterrupt = null;
    }
  }

  /** Once per process, before the first sync: repairs what a crash left and learns what is published. */
  private async recover(ctx: GitContext): Promise<void> {
    await ensureRepo(ctx, this.layout);
    const published = await readPublished(this.layout);
    const removed = await recover(ctx, this.layout, published);
    // A repository of an older version (or of kubernetes/git-sync) gets the ref fetches negotiate with.
    if (published && (await haveCommit(ctx, this.layout.root, published)))
      await recordPublishedRef(this.layout, published);
    if (removed.length) this.logger.info('removed leftovers of an interrupted run', { removed });
    await this.pipeline.recover(ctx, this.syncConfig());
    await this.gate?.restore();
    await this.rollbacks.restore();
    this.reshape = reshapeFor(this.layout, await readShape(this.layout), this.shape());
    this.recovered = true;
    this.state.publishedHash = await readPublished(this.layout);
  }

  /** After the first success of a process: what is on disk has the shape of these options. */
  private async reshaped(): Promise<void> {
    if (this.shapeRecorded) return;
    await writeShape(this.layout, this.shape());
    this.reshape = { refetch: false, resubmodule: false };
    this.shapeRecorded = true;
  }

  private shape(): Shape {
    return { depth: this.options.depth, submodules: this.options.submodules };
  }

  private syncConfig(): SyncConfig {
    const { repo, ref, staleWorktreeTimeout, gitGc, submodules, depth } = this.options;
    const { reshape } = this;
    return { repo, ref, layout: this.layout, staleWorktreeTimeout, gitGc, submodules, depth, reshape };
  }
}
