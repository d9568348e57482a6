import { userEnvironment } from '@gitpaas/core';
import type { Release } from './ledger.js';

/**
 * What a release's processes run with: the caller's environment without gitpaas's own settings
 * and credentials (core's userEnvironment), the private PORT, and which release this is.
 */
export function childEnv(base: NodeJS.ProcessEnv, release: Release, port: number | null): NodeJS.ProcessEnv {
  return {
    ...userEnvironment(base),
    ...(port !== null ? { PORT: String(port) } : {}),
    ...(release.revision ? { GITPAAS_REVISION: release.revision } : {}),
    GITPAAS_RELEASE_DIR: release.dir,
  };
}
