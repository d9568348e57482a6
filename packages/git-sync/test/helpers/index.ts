// git-sync's own test helpers (its bin and library under test); the shared ones are @gitpaas/test-utils.
export * from '@gitpaas/test-utils';
export { BIN, type BinResult, binEnv, type RunningBin, runBin, spawnBin } from './bin.js';
export { makeSync, memoryLogger, stopAllSyncs } from './sync.js';
