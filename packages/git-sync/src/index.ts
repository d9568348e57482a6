export type { Logger } from '@gitpaas/core';
export { type GitSyncOptions, toGitSyncOptions } from './config.js';
export { GitCommandError, GitSyncError, type GitSyncErrorCode } from './errors.js';
export type {
  ErrorEvent,
  FatalEvent,
  GitSyncEvents,
  PublishEvent,
  RejectEvent,
  SyncEvent,
} from './events.js';
export { createGitSync, type GitSync } from './git-sync.js';
export { options } from './options.js';
export type { GitSyncStatus } from './status.js';
