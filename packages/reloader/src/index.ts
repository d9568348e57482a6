export type { Logger } from '@gitpaas/core';
export { type AppPlan, detectApp, type InstallStep } from './detect.js';
export { ReloaderError, type ReloaderErrorCode } from './errors.js';
export type { Release, ReleaseOutcome, ReleaseSetup } from './ledger.js';
export { options, type ReloaderOptions, type StopSignal, toReloaderOptions } from './options.js';
export { createReloader } from './reloader.js';
export type { CrashEvent, OutputEvent, Reloader, ReloaderEvents, ReloaderStatus } from './types.js';
