export type { Logger } from '@gitpaas/core';
export type { CommitInfo } from './commit-info.js';
export type { DashboardState, Phases, ReleaseView } from './dashboard-state.js';
export { ReloaderError, type ReloaderErrorCode } from './errors.js';
export type { Release, ReleaseOutcome } from './ledger.js';
export { options, type ReloaderOptions, type StopSignal, toReloaderOptions } from './options.js';
export { createReloader } from './reloader.js';
export type { SyncSource, SyncStatus } from './sync-source.js';
export type { CrashEvent, OutputEvent, Reloader, ReloaderEvents, ReloaderStatus } from './types.js';
