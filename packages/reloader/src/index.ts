export { ReloaderError, type ReloaderErrorCode } from './errors.js';
export type { Release, ReleaseOutcome } from './ledger.js';
export type { Logger } from './logger.js';
export { options, type ReloaderOptions, type StopSignal, toReloaderOptions } from './options.js';
export {
  type CrashEvent,
  createReloader,
  type OutputEvent,
  type Reloader,
  type ReloaderEvents,
  type ReloaderStatus,
} from './reloader.js';
