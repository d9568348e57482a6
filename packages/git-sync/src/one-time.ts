import { type Deferred, deferred } from './deferred.js';
import { GitSyncError } from './errors.js';
import type { HookRunner } from './hooks.js';
import type { GitSyncStatus } from './status.js';

/**
 * --one-time: start() resolves after the first successful sync, and rejects when git-sync gives
 * up or is stopped before that.
 */
export class OneTime {
  private readonly result: Deferred = deferred();

  get promise(): Promise<void> {
    return this.result.promise;
  }

  /** Settles after the first successful sync; true when the run is done, false when it failed. */
  async finish(state: GitSyncStatus, hooks: readonly HookRunner[]): Promise<boolean> {
    const problem = await oneTimeProblem(state, hooks);
    if (problem) this.result.reject(problem);
    else this.result.resolve();
    return problem === null;
  }

  fail(error: GitSyncError): void {
    this.result.reject(error);
  }
}

/**
 * What makes a --one-time run fail although the sync worked: a rejected revision (nothing was
 * published), or a hook whose first attempt failed (kubernetes/git-sync waits for hooks too).
 */
async function oneTimeProblem(
  state: GitSyncStatus,
  hooks: readonly HookRunner[],
): Promise<GitSyncError | null> {
  const rejected = state.rejected;
  if (state.lastSyncOutcome === 'rejected' && rejected) {
    return new GitSyncError(
      'E_GATE',
      `the pre-publish gate rejected ${rejected.hash}: ${rejected.reason}; nothing new was published`,
    );
  }
  for (const hook of hooks) {
    const first = await hook.firstResult();
    if (!first.ok)
      return new GitSyncError('E_HOOK', `${first.name} failed for ${first.hash}: ${first.reason}`);
  }
  return null;
}
