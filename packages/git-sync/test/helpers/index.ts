export { BIN, type BinResult, binEnv, type RunningBin, runBin, spawnBin } from './bin.js';
export { git, gitEnv, TestRemote } from './git.js';
export { type GitDaemon, startGitDaemon } from './git-daemon.js';
export { type HttpGitServer, startHttpGitServer } from './http-backend.js';
export { freePort } from './ports.js';
export { SSHD, sshdMissing, startSshd, type TestSshd } from './sshd.js';
export { makeSync, memoryLogger, stopAllSyncs } from './sync.js';
export { makeTempDir, removeTempDirs } from './temp.js';
export { type WaitForOptions, waitFor } from './wait-for.js';
