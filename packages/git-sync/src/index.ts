export type { Logger } from '@gitpaas/core';
export { type GitSyncOptions, toGitSyncOptions } from './config.js';
export { GitCommandError, GitSyncError, type GitSyncErrorCode } from './errors.js';
export type {
  ErrorEvent,
  FatalEvent,
  GitSyncEvents,
  PinEvent,
  PublishEvent,
  RejectEvent,
  SyncEvent,
  UnpinEvent,
} from './events.js';
export { createGitSync, type GitSync, type GitSyncRuntime } from './git-sync.js';
export { options } from './options.js';
export type { Pin, RollbackResult } from './rollback.js';
export type { GitSyncStatus } from './status.js';
