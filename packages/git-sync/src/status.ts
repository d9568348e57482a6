import type { Rejection } from './gate.js';
import type { Pin } from './rollback.js';

/** What GET /status serves and status() returns: JSON-able, redacted. */
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
  /** Revisions kept outside .worktrees for a rollback (--keep-revisions), newest first. */
  kept: Array<{ hash: string; since: string }>;
  /** The rollback in effect (POST /rollback), until the ref moves or it is cleared. */
  pinned: Pin | null;
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

/** The status of a git-sync that has not synced yet. */
export function initialStatus(where: Pick<GitSyncStatus, 'repo' | 'ref' | 'root' | 'link'>): GitSyncStatus {
  return {
    ...where,
    state: 'new',
    ready: false,
    publishedHash: null,
    revisions: [],
    kept: [],
    pinned: null,
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
}

/** Until the first success, --init-period and --init-max-failures apply (kubernetes/git-sync's sync phases). */
export function inInitialPhase(status: GitSyncStatus): boolean {
  return status.lastSuccessAt === null;
}
