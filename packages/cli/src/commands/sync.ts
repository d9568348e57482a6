import type { CommandRunner } from '../command.js';
import { runPackageBin } from '../delegate.js';

export const syncCommand: CommandRunner = {
  name: 'sync',
  run: (argv, context) => runPackageBin('@gitpaas/git-sync/cli', argv, context),
};
