import type { GitSyncError } from './errors.js';

/** A promise settled from outside: what syncNow() callers and a --one-time start() wait on. */
export interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: GitSyncError): void;
  /** Why it was asked for (syncNow reasons, coalesced into one sync). */
  reasons: string[];
  /** A push announced it (a trigger, not a library call): the sync fetches without asking first. */
  announced: boolean;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: GitSyncError) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A caller that does not await syncNow() must not crash the process with an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject, reasons: [], announced: false };
}
