// @gitpaas/test-utils: the helpers every package's tests share — real git repositories and
// remotes (git daemon, smart HTTP with basic auth, sshd) on 127.0.0.1, temp dirs, free ports, a
// fetch that hangs on demand, and waiting on a condition with a deadline (never a fixed sleep).
export { type WaitForOptions, waitFor } from '@gitpaas/core';
export { git, gitEnv, TestRemote } from './git.js';
export { type GitDaemon, startGitDaemon } from './git-daemon.js';
export { type HangSwitch, hangSwitch } from './hang.js';
export { type HttpGitServer, startHttpGitServer } from './http-backend.js';
export { freePort } from './ports.js';
export { SSHD, sshdMissing, startSshd, type TestSshd } from './sshd.js';
export { makeTempDir, removeTempDirs } from './temp.js';
export { type Trickled, trickle } from './trickle.js';
