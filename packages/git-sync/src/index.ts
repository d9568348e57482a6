export { type GitSyncOptions, toGitSyncOptions } from './config.js';
export { GitSyncError, type GitSyncErrorCode } from './errors.js';
export {
  createGitSync,
  type ErrorEvent,
  type GitSync,
  type GitSyncStatus,
  type PublishEvent,
  type RejectEvent,
  type SyncEvent,
} from './git-sync.js';
export type { Logger } from './logger.js';
export { options } from './options.js';
