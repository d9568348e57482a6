import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { addUser } from './add-user.js';
import { Auth } from './auth.js';
import { nextDelay } from './backoff.js';
import { type GitSyncOptions, type ResolvedOptions, resolveOptions } from './config.js';
import { GitSyncError } from './errors.js';
import { createExecHook } from './exechook.js';
import { removeErrorFile, rootPath, touch, writeErrorFile } from './files.js';
import { createGate, type Gate, type Rejection } from './gate.js';
import type { GitContext } from './git.js';
import { gitConfigEnv } from './git-env.js';
import { HookRunner, hookRunCounter } from './hooks.js';
import { boundAddress, closeServer, HttpRoutes, listen, sendJson } from './http.js';
import { HASH, type Layout, layoutFor, worktreePath } from './layout.js';
import { type Logger, redactingLogger, silentLogger } from './logger.js';
import { SyncMetrics } from './metrics.js';
import { readPublished } from './publish.js';
import { Redactor } from './redact.js';
import { ensureRepo } from './repo.js';
import { listRevisions, recover } from './retention.js';
import { type PipelineSteps, pipelineSteps } from './steps.js';
import { type SyncConfig, type SyncOutcome, type SyncSteps, syncOnce } from './sync.js';
import { createTrigger } from './trigger.js';
import { syncOnSignal } from './trigger-signal.js';
import { createWebhook } from './webhook.js';

export interface GitSyncStatus {
  /** --repo with any credentials removed. */
  repo: string;
  ref: string;
  root: string;
  link: string;
  state: 'new' | 'syncing' | 'waiting' | 'idle' | 'done' | 'failed' | 'stopped';
  /** True once a sync succeeded (what GET / reports). */
  ready: boolean;
  publishedHash: string | null;
  /** Worktrees kept under .worktrees, the published one first. */
  revisions: Array<{ hash: string; since: string }>;
  syncCount: number;
  lastSyncAt: string | null;
  lastSyncDurationMs: number | null;
  lastSyncOutcome: 'published' | 'noop' | 'rejected' | 'error' | null;
  lastSuccessAt: string | null;
  nextSyncAt: string | null;
  /** The wait chosen before the next sync (grows with failures under --max-sync-backoff). */
  nextSyncDelayMs: number | null;
  consecutiveFailures: number;
  lastError: { code: string; message: string; at: string } | null;
  /** The hash the pre-publish gate rejected last, why, and its last output lines; null once a later hash passes. */
  rejected: Rejection | null;
}

export interface SyncEvent {
  hash: string;
  changed: boolean;
  durationMs: number;
}
export interface PublishEvent {
  hash: string;
  worktree: string;
  link: string;
  durationMs: number;
  /** Whether the worktree was made from a retired one (absent when this sync made none). */
  recycled?: boolean;
  /** How long making the worktree took. */
  worktreeMs?: number;
}
export interface RejectEvent {
  hash: string;
  reason: string;
  output: string;
}
export interface ErrorEvent {
  error: GitSyncError;
  consecutiveFailures: number;
}

export interface GitSync {
  /** Starts the loop (and the HTTP server when httpBind is set). With oneTime, resolves after the first successful sync and rejects when it gives up. */
  start(): Promise<void>;
  /** Stops within about a second: a running git is killed, nothing is half-published. */
  stop(): Promise<void>;
  /** Syncs now; calls coalesce (at most one running and one queued). Rejects when that sync fails. */
  syncNow(reason?: string): Promise<void>;
  /** JSON-able and redacted. */
  status(): GitSyncStatus;
  readonly registry: Registry;
  /** Answers GET /, GET /status, GET /metrics (with httpMetrics); false for paths that are not its own. */
  handleHttp(req: IncomingMessage, res: ServerResponse): boolean;
  /** The address of the built-in server (useful with port 0), null without httpBind. */
  httpAddress(): AddressInfo | null;
  on(event: 'sync', listener: (e: SyncEvent) => void): this;
  on(event: 'publish', listener: (e: PublishEvent) => void): this;
  on(event: 'reject', listener: (e: RejectEvent) => void): this;
  on(event: 'error', listener: (e: ErrorEvent) => void): this;
  /** Emitted when --max-failures is exhausted; the loop has stopped, the last revision stays published. */
  on(event: 'fatal', listener: (e: { error: GitSyncError }) => void): this;
}

const GIT_LOCATION_ENV = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_COMMON_DIR',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
  'GIT_CEILING_DIRECTORIES',
];

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: GitSyncError): void;
  reasons: string[];
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: GitSyncError) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A caller that does not await syncNow() must not crash the process with an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject, reasons: [] };
}

export function createGitSync(options: GitSyncOptions & { logger?: Logger }): GitSync {
  return new GitSyncRunner(options);
}

/** The scheduler: runs syncOnce every period (or on demand), counts failures, backs off, reports. */
export class GitSyncRunner extends EventEmitter implements GitSync {
  readonly options: ResolvedOptions;
  readonly layout: Layout;
  readonly redactor = new Redactor();
  readonly logger: Logger;
  readonly routes = new HttpRoutes();
  /** The pipeline's replaceable steps (gate, worktree recycling). */
  steps: SyncSteps;
  private readonly pipeline: PipelineSteps;
  private readonly gate: Gate | null;
  /** --exechook-command and --webhook-url, each delivering the latest published hash. */
  private readonly hooks: HookRunner[] = [];
  private stopSignalListener: (() => void) | null = null;
  private readonly auth: Auth;
  private readonly metrics = new SyncMetrics();
  private readonly stopController = new AbortController();
  private server: Server | null = null;
  private loopDone: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private pending: Deferred | null = null;
  private wake: (() => void) | null = null;
  private oneTimeResult: Deferred | null = null;
  private recovered = false;
  private state: GitSyncStatus = {} as GitSyncStatus;

  constructor(input: GitSyncOptions & { logger?: Logger }) {
    super();
    const { logger, ...rest } = input;
    this.options = resolveOptions(rest);
    this.redactor.addUrl(this.options.repo);
    this.logger = redactingLogger(logger ?? silentLogger, this.redactor);
    this.auth = new Auth(this.options as ResolvedOptions & { sshKeyFile: string[] }, this.redactor);
    this.layout = layoutFor(this.options.root, this.options.link);
    this.state = {
      repo: this.redactor.redact(this.options.repo),
      ref: this.options.ref,
      root: this.layout.root,
      link: this.layout.link,
      state: 'new',
      ready: false,
      publishedHash: null,
      revisions: [],
      syncCount: 0,
      lastSyncAt: null,
      lastSyncDurationMs: null,
      lastSyncOutcome: null,
      lastSuccessAt: null,
      nextSyncAt: null,
      nextSyncDelayMs: null,
      consecutiveFailures: 0,
      lastError: null,
      rejected: null,
    };
    this.routes.add('GET', '/', (_req, res) => {
      res.writeHead(this.state.ready ? 200 : 503, { 'Content-Type': 'text/plain' });
      res.end(this.state.ready ? 'ok\n' : 'not synced yet\n');
    });
    this.routes.add('GET', '/status', (_req, res) => sendJson(res, 200, this.status()));
    if (this.options.httpMetrics) {
      this.routes.add('GET', '/metrics', async (_req, res) => {
        const body = this.redactor.redact(await this.registry.metrics());
        res.writeHead(200, { 'Content-Type': this.registry.contentType });
        res.end(body);
      });
    }
    const o = this.options;
    const redact = (text: string) => this.redactor.redact(text);
    this.gate = o.prePublishExechookCommand
      ? createGate({
          command: o.prePublishExechookCommand,
          timeoutMs: o.prePublishExechookTimeout,
          registry: this.registry,
          logger: this.logger,
          redact,
          stateFile: join(this.layout.gitDir, 'gitpaas-gate-rejected.json'),
        })
      : null;
    this.pipeline = pipelineSteps({
      gate: this.gate,
      recycle: o.recycleWorktrees,
      registry: this.registry,
      logger: this.logger,
    });
    this.steps = this.pipeline;
    const counter = hookRunCounter(this.registry);
    if (o.exechookCommand) {
      const hook = createExecHook({
        command: o.exechookCommand,
        timeoutMs: o.exechookTimeout,
        worktreeOf: (hash) => worktreePath(this.layout, hash),
        redact,
      });
      this.hooks.push(new HookRunner(hook, { backoffMs: o.exechookBackoff, counter, logger: this.logger }));
    }
    if (o.webhookUrl) {
      this.redactor.addUrl(o.webhookUrl);
      const hook = createWebhook({
        url: o.webhookUrl,
        method: o.webhookMethod,
        successStatus: o.webhookSuccessStatus,
        timeoutMs: o.webhookTimeout,
        redact,
      });
      this.hooks.push(new HookRunner(hook, { backoffMs: o.webhookBackoff, counter, logger: this.logger }));
    }
    const trigger = createTrigger({
      ref: o.ref,
      secretFile: o.triggerSecretFile,
      syncNow: (reason) => this.syncNow(reason),
      registry: this.registry,
      logger: this.logger,
    });
    this.routes.add('POST', '/sync', (req, res) => trigger.handle(req, res));
  }

  get registry(): Registry {
    return this.metrics.registry;
  }

  async start(): Promise<void> {
    if (this.loopDone || this.stopping) throw new GitSyncError('E_STOPPED', 'start() was already called');
    if (this.options.addUser) await addUser();
    if (this.options.httpBind) this.server = await listen(this.options.httpBind, this.routes);
    if (this.options.syncOnSignal) {
      this.stopSignalListener = syncOnSignal(this.options.syncOnSignal as NodeJS.Signals, (reason) =>
        this.syncNow(reason),
      );
    }
    this.logger.info('starting', {
      repo: this.options.repo,
      ref: this.options.ref,
      root: this.layout.root,
      link: this.layout.link,
      period: this.options.period,
    });
    if (this.options.oneTime) this.oneTimeResult = deferred();
    this.loopDone = this.loop();
    if (this.oneTimeResult) await this.oneTimeResult.promise;
  }

  async stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.stopController.abort();
    this.stopSignalListener?.();
    this.wake?.();
    const hooksStopped = Promise.all(this.hooks.map((hook) => hook.stop()));
    this.pending?.reject(new GitSyncError('E_STOPPED', 'git-sync stopped before this sync ran'));
    this.pending = null;
    this.oneTimeResult?.reject(
      new GitSyncError('E_STOPPED', 'git-sync stopped before the first successful sync'),
    );
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

  syncNow(reason = 'requested'): Promise<void> {
    if (this.stopController.signal.aborted) {
      return Promise.reject(new GitSyncError('E_STOPPED', 'git-sync is stopped'));
    }
    this.pending ??= deferred();
    this.pending.reasons.push(reason);
    this.wake?.();
    return this.pending.promise;
  }

  status(): GitSyncStatus {
    return this.redactor.redactValue(structuredClone(this.state));
  }

  handleHttp(req: IncomingMessage, res: ServerResponse): boolean {
    return this.routes.handle(req, res);
  }

  httpAddress(): AddressInfo | null {
    return this.server ? boundAddress(this.server) : null;
  }

  /** Until the first success, --init-period and --init-max-failures apply (kubernetes/git-sync's sync phases). */
  private get initialPhase(): boolean {
    return this.state.lastSuccessAt === null;
  }

  private phasePeriod(): number {
    return this.initialPhase ? (this.options.initPeriod ?? this.options.period) : this.options.period;
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const request = this.pending;
      this.pending = null;
      const result = await this.runOnce(request?.reasons.join(', ') ?? 'period');
      if (request) {
        if (result === true) request.resolve();
        else request.reject(result);
      }
      if (this.stopped || this.state.state === 'failed') break;
      if (this.oneTimeResult && result === true) {
        const problem = await this.oneTimeProblem();
        this.state.state = problem ? 'failed' : 'done';
        if (problem) this.oneTimeResult.reject(problem);
        else this.oneTimeResult.resolve();
        break;
      }
      if (this.pending) continue;
      // A hash never moves: after it is published there is nothing to poll (kubernetes/git-sync idles too).
      const idle =
        result === true &&
        HASH.test(this.options.ref.toLowerCase()) &&
        this.state.publishedHash === this.options.ref.toLowerCase();
      const delay = idle
        ? null
        : nextDelay(this.phasePeriod(), this.state.consecutiveFailures, this.options.maxSyncBackoff);
      this.state.state = idle ? 'idle' : 'waiting';
      this.state.nextSyncAt = delay === null ? null : new Date(Date.now() + delay).toISOString();
      this.state.nextSyncDelayMs = delay;
      await this.sleep(delay);
    }
  }

  /**
   * What makes a --one-time run fail although the sync worked: a rejected revision (nothing was
   * published), or a hook whose first attempt failed (kubernetes/git-sync waits for hooks too).
   */
  private async oneTimeProblem(): Promise<GitSyncError | null> {
    const rejected = this.state.rejected;
    if (this.state.lastSyncOutcome === 'rejected' && rejected) {
      return new GitSyncError(
        'E_GATE',
        `the pre-publish gate rejected ${rejected.hash}: ${rejected.reason}; nothing new was published`,
      );
    }
    for (const hook of this.hooks) {
      const first = await hook.firstResult();
      if (!first.ok)
        return new GitSyncError('E_HOOK', `${first.name} failed for ${first.hash}: ${first.reason}`);
    }
    return null;
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

  private async context(): Promise<GitContext> {
    const signal = AbortSignal.any([
      this.stopController.signal,
      AbortSignal.timeout(this.options.syncTimeout),
    ]);
    const base = { ...process.env };
    // Inherited from a git hook or a shell inside a repository, these would point git elsewhere.
    for (const name of GIT_LOCATION_ENV) delete base[name];
    const auth = await this.auth.env();
    return {
      env: {
        ...(base as Record<string, string>),
        ...gitConfigEnv(base, [...auth.config, ...this.options.gitConfigPairs], this.redactor),
        ...auth.env,
      },
      signal,
      stopSignal: this.stopController.signal,
      timeoutMs: this.options.syncTimeout,
      redactor: this.redactor,
      logger: this.logger,
    };
  }

  private syncConfig(): SyncConfig {
    return {
      repo: this.options.repo,
      ref: this.options.ref,
      layout: this.layout,
      staleWorktreeTimeout: this.options.staleWorktreeTimeout,
      gitGc: this.options.gitGc,
      submodules: this.options.submodules,
      depth: this.options.depth,
    };
  }

  /** One sync with all its reporting; true on success, the error otherwise. */
  private async runOnce(reason: string): Promise<true | GitSyncError> {
    const startedAt = performance.now();
    this.state.state = 'syncing';
    this.state.nextSyncAt = null;
    this.logger.debug('syncing', { reason });
    try {
      const ctx = await this.context();
      if (!this.recovered) {
        await ensureRepo(ctx, this.layout);
        const removed = await recover(ctx, this.layout, await readPublished(this.layout));
        if (removed.length) this.logger.info('removed leftovers of an interrupted run', { removed });
        await this.pipeline.recover(ctx, this.syncConfig());
        await this.gate?.restore();
        this.recovered = true;
        this.state.publishedHash = await readPublished(this.layout);
      }
      const outcome = await syncOnce(ctx, this.syncConfig(), this.steps, {
        lsRemote: () => this.metrics.lsRemoteCount.inc(),
        fetched: () => this.metrics.fetchCount.inc(),
      });
      await this.succeeded(outcome, performance.now() - startedAt);
      return true;
    } catch (thrown) {
      return this.failed(thrown, performance.now() - startedAt);
    }
  }

  private async succeeded(outcome: SyncOutcome, durationMs: number): Promise<void> {
    const firstInProcess = this.state.syncCount === 0;
    const now = new Date().toISOString();
    this.state.lastSyncAt = now;
    this.state.lastSyncDurationMs = Math.round(durationMs);
    const notPublished = outcome.kind === 'rejected' || outcome.kind === 'held';
    this.state.lastSyncOutcome = notPublished ? 'rejected' : outcome.kind;
    this.state.rejected = this.gate?.rejected ?? null;
    this.state.revisions = (
      await listRevisions(this.layout, notPublished ? this.state.publishedHash : outcome.hash)
    ).map((revision) => ({ hash: revision.hash, since: revision.since.toISOString() }));
    if (outcome.kind === 'held') {
      this.metrics.observe('noop', durationMs / 1000);
      this.logger.debug('the ref still points at the rejected revision; waiting for it to move', {
        hash: outcome.hash,
      });
      return;
    }
    if (outcome.kind === 'rejected') {
      this.metrics.observe('error', durationMs / 1000);
      this.logger.warn('revision rejected before publishing, keeping the published one until the ref moves', {
        hash: outcome.hash,
        reason: outcome.reason,
        output: outcome.output,
      });
      this.emit('reject', {
        hash: outcome.hash,
        reason: outcome.reason,
        output: outcome.output,
      } satisfies RejectEvent);
      return;
    }
    const changed = outcome.kind === 'published';
    this.state.syncCount++;
    if (
      this.initialPhase &&
      this.options.initPeriod !== undefined &&
      this.options.initPeriod !== this.options.period
    ) {
      this.logger.info('initial sync complete, switching to --period', {
        initPeriod: this.options.initPeriod,
        period: this.options.period,
      });
    }
    this.state.ready = true;
    this.state.publishedHash = outcome.hash;
    this.state.lastSuccessAt = now;
    this.state.consecutiveFailures = 0;
    this.state.lastError = null;
    this.metrics.consecutiveFailures.set(0);
    this.metrics.lastSuccess.set(Date.now() / 1000);
    this.metrics.setPublished(outcome.hash);
    this.metrics.observe(changed ? 'success' : 'noop', durationMs / 1000);
    if (this.options.errorFile)
      await removeErrorFile(rootPath(this.layout.root, this.options.errorFile)).catch(() => {});
    if (changed) {
      this.logger.info('updated successfully', {
        ref: this.options.ref,
        hash: outcome.hash,
        previous: outcome.previous,
        durationMs: Math.round(durationMs),
      });
    } else {
      this.logger.debug('update not required', { ref: this.options.ref, hash: outcome.hash });
    }
    // Like kubernetes/git-sync, the first sync of a process counts as a publish (hooks, touch file).
    if (changed || firstInProcess) {
      if (this.options.touchFile) {
        await touch(rootPath(this.layout.root, this.options.touchFile)).catch((error: unknown) =>
          this.logger.warn('cannot touch --touch-file', { error: String(error) }),
        );
      }
      const made =
        changed && this.pipeline.lastWorktree?.hash === outcome.hash ? this.pipeline.lastWorktree : null;
      this.emit('publish', {
        hash: outcome.hash,
        worktree: `${this.layout.worktrees}/${outcome.hash}`,
        link: this.layout.link,
        durationMs,
        ...(made ? { recycled: made.recycled, worktreeMs: made.ms } : {}),
      } satisfies PublishEvent);
      for (const hook of this.hooks) hook.send(outcome.hash);
    }
    this.emit('sync', { hash: outcome.hash, changed, durationMs } satisfies SyncEvent);
  }

  private async failed(thrown: unknown, durationMs: number): Promise<GitSyncError> {
    const error =
      thrown instanceof GitSyncError
        ? thrown
        : new GitSyncError(
            'E_GIT',
            `sync failed: ${this.redactor.redact(String((thrown as Error)?.message ?? thrown))}`,
            {
              cause: thrown,
            },
          );
    if (error.code === 'E_STOPPED' && this.stopped) return error;
    const failures = ++this.state.consecutiveFailures;
    const now = new Date().toISOString();
    this.state.lastSyncAt = now;
    this.state.lastSyncDurationMs = Math.round(durationMs);
    this.state.lastSyncOutcome = 'error';
    this.state.lastError = { code: error.code, message: this.redactor.redact(error.message), at: now };
    this.metrics.observe('error', durationMs / 1000);
    this.metrics.errors.inc({ code: error.code });
    this.metrics.consecutiveFailures.set(failures);
    const max =
      this.initialPhase && this.options.initMaxFailures !== undefined
        ? this.options.initMaxFailures
        : this.options.maxFailures;
    const fatal = max >= 0 && failures >= max;
    const msg = fatal ? 'too many failures, giving up' : 'sync failed, will retry';
    this.logger.error(msg, {
      code: error.code,
      error: error.message,
      consecutiveFailures: failures,
      maxFailures: max,
    });
    if (this.options.errorFile) {
      await writeErrorFile(
        rootPath(this.layout.root, this.options.errorFile),
        msg,
        this.redactor.redact(error.message),
        {
          code: error.code,
          failCount: failures,
        },
      ).catch((writeError: unknown) =>
        this.logger.warn('cannot write --error-file', { error: String(writeError) }),
      );
    }
    if (this.listenerCount('error') > 0)
      this.emit('error', { error, consecutiveFailures: failures } satisfies ErrorEvent);
    if (fatal) {
      this.state.state = 'failed';
      this.oneTimeResult?.reject(error);
      this.emit('fatal', { error });
    }
    return error;
  }
}
