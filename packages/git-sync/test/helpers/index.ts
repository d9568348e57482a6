// git-sync's own test helpers (its bin, library and hooks under test); the shared ones are @gitpaas/test-utils.
export * from '@gitpaas/test-utils';
export { BIN, type BinResult, binEnv, type RunningBin, runBin, spawnBin } from './bin.js';
export { listen, script, type TestServer } from './hooks.js';
export { bindMount, canMount, mountTmpfs, resizeTmpfs, unmountAll } from './mounts.js';
export {
  cleanUpSyncs,
  makeSync,
  memoryLogger,
  started,
  stopAfterTest,
  stopAllSyncs,
  syncFixture,
} from './sync.js';
export { type PushAnswer, signedPush, syncWithTrigger } from './trigger.js';
