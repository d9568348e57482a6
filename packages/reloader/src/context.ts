import type { Emitter } from '@gitpaas/core';
import type { Builder } from './build.js';
import type { Deploys } from './deploy.js';
import type { Running } from './launch.js';
import type { Ledger, Release, ReleaseOutcome } from './ledger.js';
import type { ReloaderMetrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import type { HandoffProxy } from './proxy.js';
import type { Supervisor } from './supervise.js';
import type { ReloaderEvents } from './types.js';

/**
 * What the parts of a reloader (deploy, build, launch, switch, supervise, rollback) share: the
 * resolved options, its instruments, and the state the coordinator (reloader.ts) owns.
 */
export interface Context {
  readonly options: ResolvedOptions;
  readonly metrics: ReloaderMetrics;
  readonly ledger: Ledger;
  /** The public port's proxy in handoff mode; null in restart mode (no --port). */
  readonly proxy: HandoffProxy | null;
  /** Aborts when stop() runs. */
  readonly lifetime: AbortSignal;
  readonly stopped: boolean;
  /** The process serving now (or restarting after a crash). */
  live: Running | null;
  /** Old processes draining or being stopped. */
  readonly retiring: Set<Running>;
  readonly deploys: Deploys;
  /** Detection, the dependency cache and the install/build steps. */
  readonly builder: Builder;
  /** Revision mode: each release dir is a revision's own checkout, so installs may write into it. */
  readonly watchesRevisions: boolean;
  readonly supervisor: Supervisor;
  emit: Emitter<ReloaderEvents>['emit'];
  /** Records a release's new outcome: the ledger, the metric and the 'release' event. */
  end(release: Release, outcome: ReleaseOutcome, reason?: string): void;
  /** Runs `fn` after `ms`, unless the reloader stops first. */
  later(ms: number, fn: () => void): void;
}
