import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  backoffMs,
  deadline,
  Emitter,
  type Logger,
  Redactor,
  redactingLogger,
  silentLogger,
} from '@gitpaas/core';
import type { Registry } from 'prom-client';
import { addUser } from './add-user.js';
import { Auth } from './auth.js';
import { type GitSyncOptions, type ResolvedOptions, resolveOptions } from './config.js';
import { type Deferred, deferred } from './deferred.js';
import { GitSyncError } from './errors.js';
import type { GitSyncEvents } from './events.js';
import { createGate, type Gate } from './gate.js';
import type { GitContext } from './git.js';
import { gitEnvironment } from './git-env.js';
import { createGuard } from './guard.js';
import { type HookRunner, hookRunners } from './hooks.js';
import { boundAddress, closeServer, gitSyncRoutes, type HttpRoutes, listen } from './http.js';
import { HASH, type Layout, layoutFor, worktreePath } from './layout.js';
import { SyncMetrics } from './metrics.js';
import { OneTime } from './one-time.js';
import { promClient } from './prom.js';
import { readPublished, recordPublishedRef } from './publish.js';
import { haveCommit } from './remote.js';
import { ensureRepo } from './repo.js';
import { SyncReport, syncError } from './report.js';
import { recover } from './retention.js';
import { type RollbackRequest, type RollbackResult, Rollbacks } from './rollback.js';
import { addRollbackRoutes } from './rollback-http.js';
import { type Reshape, readShape, reshapeFor, type Shape, writeShape } from './shape.js';
import { SecretFile } from './signature.js';
import { type GitSyncStatus, inInitialPhase, initialStatus } from './status.js';
import { type PipelineSteps, pipelineSteps } from './steps.js';
import { type SyncConfig, type SyncProbe, syncOnce } from './sync.js';
import { createTrigger } from './trigger.js';
import { syncOnSignal } from './trigger-signal.js';

/** A git-sync: the sync loop, its HTTP routes, its status, and typed events (`on('publish', …)`). */
export interface GitSync extends Pick<Emitter<GitSyncEvents>, 'on' | 'once' | 'off'> {
  /** Starts the loop (and the HTTP server when httpBind is set). With oneTime, resolves after the first successful sync and rejects when it gives up. */
  start(): Promise<void>;
  /** Stops within about a second: a running git is killed, nothing is half-published. */
  stop(): Promise<void>;
  /** Syncs now; calls coalesce (at most one running and one queued). Rejects when that sync fails. */
  syncNow(reason?: string): Promise<void>;
  /**
   * Publishes a revision kept here (or fetched by hash) instead of the ref's and pins it until the
   * ref moves or clearRollback(); no revision: the previous kept one. Rejects when it cannot.
   */
  rollback(revision?: string): Promise<RollbackResult>;
  /** Ends a rollback and syncs the ref again; false when none was in effect. */
  clearRollback(): Promise<boolean>;
  /** JSON-able and redacted. */
  status(): GitSyncStatus;
  /** Removes every secret git-sync knows (URL credentials, password, password-file contents) from text. */
  redact(text: string): string;
  readonly registry: Registry;
  /** Answers GET /, GET /status, GET /metrics (with httpMetrics), POST /sync, POST and DELETE /rollback; false for paths that are not its own. */
  handleHttp(req: IncomingMessage, res: ServerResponse): boolean;
  /** The address of the built-in server (useful with port 0), null without httpBind. */
  httpAddress(): AddressInfo | null;
}

/** What a git-sync gets besides its options: where it logs, and whether anything reads its metrics. */
export interface GitSyncRuntime {
  logger?: Logger;
  /**
   * False when nothing will read the metrics (the bin without an HTTP server): none are kept and
   * prom-client is never loaded; `registry` is then an empty one. Default true.
   */
  metrics?: boolean;
}

export function createGitSync(options: GitSyncOptions & GitSyncRuntime): GitSync {
  return new GitSyncRunner(options);
}

/**
 * Wait before the next sync. Without a cap (the default, as kubernetes/git-sync) it is always the
 * period. With `--max-sync-backoff`, failures back off: period × 2^(failures-1), at most the cap, so
 * a broken remote is not hammered every period while the last good revision stays published.
 */
export function nextDelay(periodMs: number, consecutiveFailures: number, maxBackoffMs: number): number {
  if (maxBackoffMs <= 0 || consecutiveFailures <= 0) return periodMs;
  return Math.max(periodMs, backoffMs(consecutiveFailures, periodMs, maxBackoffMs));
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
  private oneTime: OneTime | null = null;
  private recovered = false;
  /** What the first sync must redo for a changed --depth or --submodules (set at recovery). */
  private reshape: Reshape = { refetch: false, resubmodule: false };
  private shapeRecorded = false;

  constructor(input: GitSyncOptions & GitSyncRuntime) {
    const { logger, metrics = true, ...rest } = input;
    const options = resolveOptions(rest);
    const redactor = new Redactor();
    // The URL as given: options.repo has its credentials taken out.
    redactor.addUrl(rest.repo);
    // The trigger secret is learnt now, before any app output passes through redact() (a read error is the trigger's to report).
    if (options.triggerSecretFile)
      void new SecretFile(options.triggerSecretFile, redactor).read().catch(() => {});
    const log = redactingLogger(logger ?? silentLogger, redactor);
    // A listener that throws is the caller's bug: it is logged and the loop goes on.
    super((error, event) =>
      log.error(`a '${event}' listener threw; syncing goes on`, { error: String(error) }),
    );
    this.options = options;
    this.metrics = new SyncMetrics(metrics ? new (promClient().Registry)() : null);
    this.redactor = redactor;
    this.logger = log;
    this.auth = new Auth(options, redactor);
    this.layout = layoutFor(options.root, options.link);
    this.state = initialStatus({
      repo: redactor.redact(options.repo),
      ref: options.ref,
      root: this.layout.root,
      link: this.layout.link,
    });
    const redact = (text: string) => redactor.redact(text);
    const { registry } = this.metrics;
    this.gate = options.prePublishExechookCommand
      ? createGate({
          command: options.prePublishExechookCommand,
          timeoutMs: options.prePublishExechookTimeout,
          registry,
          logger: log,
          redact,
          stateFile: join(this.layout.gitDir, 'gitpaas-gate-rejected.json'),
        })
      : null;
    this.pipeline = pipelineSteps({
      gate: this.gate,
      recycle: options.recycleWorktrees,
      keep: options.keepRevisions,
      registry,
      logger: log,
    });
    const worktreeOf = (hash: string) => worktreePath(this.layout, hash);
    this.hooks = hookRunners(options, worktreeOf, { registry, redactor, logger: log });
    this.report = new SyncReport({
      options,
      layout: this.layout,
      state: this.state,
      metrics: this.metrics,
      redactor,
      logger: log,
      events: this,
      gate: this.gate,
      pipeline: this.pipeline,
      hooks: this.hooks,
    });
    const trigger = createTrigger({
      ref: options.ref,
      secretFile: options.triggerSecretFile,
      redactor,
      fanout: options.fanoutTargets,
      stopSignal: this.stopController.signal,
      syncNow: (reason) => this.request(reason, true),
      registry,
      logger: log,
    });
    this.routes = gitSyncRoutes({
      ready: () => this.state.ready,
      status: () => this.status(),
      metrics: options.httpMetrics && registry ? { registry, redact } : null,
      trigger,
    });
    this.rollbacks = new Rollbacks({ layout: this.layout, state: this.state, events: this, logger: log });
    addRollbackRoutes(this.routes, {
      guard: createGuard(options.triggerSecretFile, log, redactor),
      rollback: (revision) => this.rollback(revision),
      clear: () => this.clearRollback(),
    });
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
      if (result === true) await this.prepareSpare();
      if (this.stopped) break;
      if (this.pending || this.rollbacks.queued) continue;
      // A hash never moves: after it is published there is nothing to poll (kubernetes/git-sync idles too).
      const ref = this.options.ref.toLowerCase();
      const idle = result === true && HASH.test(ref) && this.state.publishedHash === ref;
      const period = inInitialPhase(this.state)
        ? (this.options.initPeriod ?? this.options.period)
        : this.options.period;
      const delay = idle
        ? null
        : nextDelay(period, this.state.consecutiveFailures, this.options.maxSyncBackoff);
      this.state.state = idle ? 'idle' : 'waiting';
      this.state.nextSyncAt = delay === null ? null : new Date(Date.now() + delay).toISOString();
      this.state.nextSyncDelayMs = delay;
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
      await this.report.succeeded(outcome, performance.now() - startedAt);
      this.state.kept = (await this.pipeline.kept(ctx, config)).map(({ hash, since }) => ({
        hash,
        since: since.toISOString(),
      }));
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

  /**
   * Between syncs, keeps a spare worktree ready so that the next revision costs its diff, even the
   * first one after a start. A sync asked for meanwhile interrupts it (it is made again later).
   */
  private async prepareSpare(): Promise<void> {
    const published = this.state.publishedHash;
    if (!published) return;
    const interrupt = new AbortController();
    this.spareInterrupt = interrupt;
    const limit = deadline(this.options.syncTimeout, [this.stopController.signal, interrupt.signal]);
    try {
      await this.pipeline.spare(await this.gitContext(limit.signal), this.syncConfig(), published);
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
