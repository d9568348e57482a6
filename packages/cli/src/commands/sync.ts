import type { Command } from '../command.js';
import { runPackageBin } from '../delegate.js';

export const syncCommand: Command = {
  name: 'sync',
  summary: 'the git-sync sidecar alone: keep a directory at the newest revision (git-sync flags)',
  forwardsSignals: true,
  run: (argv, context) => runPackageBin('@gitpaas/git-sync/cli', argv, context),
};
