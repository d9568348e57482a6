import type { GitSyncError } from './errors.js';

/** After every successful sync, whether or not it published. */
export interface SyncEvent {
  hash: string;
  changed: boolean;
  durationMs: number;
}

/** A revision went live (also the first sync of a process, as kubernetes/git-sync counts it). */
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

/** The pre-publish gate kept a revision from going live. */
export interface RejectEvent {
  hash: string;
  reason: string;
  output: string;
}

/** A sync failed; the loop retries unless this was the last failure allowed. */
export interface ErrorEvent {
  error: GitSyncError;
  consecutiveFailures: number;
}

/** --max-failures is exhausted: the loop has stopped, the last revision stays published. */
export interface FatalEvent {
  error: GitSyncError;
}

/** A rollback went live: `hash` is published and pinned instead of the ref's revision. */
export interface PinEvent {
  hash: string;
  /** What was published before. */
  from: string | null;
}

/** A rollback ended: cleared, or the ref moved (a push) and its new revision is synced. */
export interface UnpinEvent {
  hash: string;
  reason: 'cleared' | 'ref-moved';
  /** Where the ref moved to (ref-moved). */
  refHash?: string;
}

/** The events of a GitSync and their listeners' arguments (`gitSync.on('publish', (e) => …)`). */
export interface GitSyncEvents {
  sync: [SyncEvent];
  publish: [PublishEvent];
  reject: [RejectEvent];
  error: [ErrorEvent];
  fatal: [FatalEvent];
  pin: [PinEvent];
  unpin: [UnpinEvent];
}
