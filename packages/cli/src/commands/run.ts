import type { Command } from '../command.js';
import { runPackageBin } from '../delegate.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'the reloader alone: run a command, replace it on changes without dropping requests',
  forwardsSignals: true,
  run: (argv, context) => runPackageBin('@gitpaas/reloader/cli', argv, context),
};
