import { join } from 'node:path';
import { type Emitter, type Logger, Redactor, redactingLogger, silentLogger } from '@gitpaas/core';
import type { GitSyncRuntime } from './api.js';
import { Auth } from './auth.js';
import { type GitSyncOptions, type ResolvedOptions, resolveOptions } from './config.js';
import type { GitSyncEvents } from './events.js';
import { createGate, type Gate } from './gate.js';
import { createGuard } from './guard.js';
import { type HookRunner, hookRunners } from './hooks.js';
import { gitSyncRoutes, type HttpRoutes } from './http.js';
import { type Layout, layoutFor, worktreePath } from './layout.js';
import { SyncMetrics } from './metrics.js';
import { promClient } from './prom.js';
import { SyncReport } from './report.js';
import { type RollbackResult, Rollbacks } from './rollback.js';
import { addRollbackRoutes } from './rollback-http.js';
import { SecretFile } from './signature.js';
import { type GitSyncStatus, initialStatus } from './status.js';
import { type PipelineSteps, pipelineSteps } from './steps.js';
import { createTrigger } from './trigger.js';

/** What a git-sync knows before anything else is made: its options, its secrets, its log. */
export interface GitSyncBase {
  options: ResolvedOptions;
  redactor: Redactor;
  logger: Logger;
  /** Whether anything reads the metrics (GitSyncRuntime.metrics). */
  metrics: boolean;
  /** `--trigger-secret-file`, read (and redacted) by whatever checks a signature. */
  triggerSecret: SecretFile | null;
}

/** The collaborators of one git-sync, wired together from its options. */
export interface GitSyncParts extends Omit<GitSyncBase, 'metrics' | 'triggerSecret'> {
  metrics: SyncMetrics;
  auth: Auth;
  layout: Layout;
  state: GitSyncStatus;
  /** The pre-publish gate, when --pre-publish-exechook-command is set. */
  gate: Gate | null;
  /** The sync pipeline with worktree recycling and the gate plugged in. */
  pipeline: PipelineSteps;
  /** --exechook-command and --webhook-url, each delivering the latest published hash. */
  hooks: HookRunner[];
  report: SyncReport;
  routes: HttpRoutes;
  rollbacks: Rollbacks;
}

/** What the parts call back into: the git-sync that owns them. */
export interface PartsOwner {
  events: Emitter<GitSyncEvents>;
  stopSignal: AbortSignal;
  /** A sync asked for; `announced` by a push. */
  request(reason: string, announced: boolean): Promise<void>;
  rollback(revision?: string): Promise<RollbackResult>;
  clearRollback(): Promise<boolean>;
  status(): GitSyncStatus;
}

/** Options resolved once, and every secret learnt before the first line is logged. */
export function gitSyncBase(input: GitSyncOptions & GitSyncRuntime): GitSyncBase {
  const { logger, metrics = true, ...rest } = input;
  const options = resolveOptions(rest);
  const redactor = new Redactor();
  // The URL as given: options.repo has its credentials taken out.
  redactor.addUrl(rest.repo);
  // One reader of --trigger-secret-file for POST /sync and the rollback endpoints; the secret is
  // learnt now, before any app output passes through redact() (a read error is theirs to report).
  const triggerSecret = options.triggerSecretFile
    ? new SecretFile(options.triggerSecretFile, redactor)
    : null;
  void triggerSecret?.read().catch(() => {});
  return {
    options,
    redactor,
    logger: redactingLogger(logger ?? silentLogger, redactor),
    metrics,
    triggerSecret,
  };
}

export function wireParts(base: GitSyncBase, owner: PartsOwner): GitSyncParts {
  const { options, redactor, logger: log } = base;
  const metrics = new SyncMetrics(base.metrics ? new (promClient().Registry)() : null);
  const auth = new Auth(options, redactor);
  const layout = layoutFor(options.root, options.link);
  const state = initialStatus({
    repo: redactor.redact(options.repo),
    ref: options.ref,
    root: layout.root,
    link: layout.link,
  });
  const redact = (text: string) => redactor.redact(text);
  const { registry } = metrics;
  const gate = options.prePublishExechookCommand
    ? createGate({
        command: options.prePublishExechookCommand,
        timeoutMs: options.prePublishExechookTimeout,
        registry,
        logger: log,
        redact,
        stateFile: join(layout.gitDir, 'gitpaas-gate-rejected.json'),
      })
    : null;
  const pipeline = pipelineSteps({
    gate,
    recycle: options.recycleWorktrees,
    keep: options.keepRevisions,
    registry,
    logger: log,
  });
  const worktreeOf = (hash: string) => worktreePath(layout, hash);
  const hooks = hookRunners(options, worktreeOf, { registry, redactor, logger: log });
  const report = new SyncReport({
    options,
    layout,
    state,
    metrics,
    redactor,
    logger: log,
    events: owner.events,
    gate,
    pipeline,
    hooks,
  });
  const trigger = createTrigger({
    ref: options.ref,
    secret: base.triggerSecret,
    fanout: options.fanoutTargets,
    stopSignal: owner.stopSignal,
    syncNow: (reason) => owner.request(reason, true),
    registry,
    logger: log,
  });
  const routes = gitSyncRoutes({
    ready: () => state.ready,
    status: () => owner.status(),
    metrics: options.httpMetrics && registry ? { registry, redact } : null,
    trigger,
  });
  const rollbacks = new Rollbacks({ layout, state, events: owner.events, logger: log });
  addRollbackRoutes(routes, {
    guard: createGuard(base.triggerSecret, log),
    rollback: (revision) => owner.rollback(revision),
    clear: () => owner.clearRollback(),
  });
  return {
    options,
    redactor,
    logger: log,
    metrics,
    auth,
    layout,
    state,
    gate,
    pipeline,
    hooks,
    report,
    routes,
    rollbacks,
  };
}
