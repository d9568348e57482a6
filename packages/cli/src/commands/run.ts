import type { CommandRunner } from '../command.js';
import { runPackageBin } from '../delegate.js';

export const runCommand: CommandRunner = {
  name: 'run',
  run: (argv, context) => runPackageBin('@gitpaas/reloader/cli', argv, context),
};
