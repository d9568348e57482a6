import { debugRequested, exitCodeOf, oneLine } from '@gitpaas/core';
import type { Command, CommandContext, CommandRunner } from './command.js';
import { CliError } from './errors.js';
import { version } from './version.js';

/**
 * A command listed by name and summary, its module imported only when it runs: `gitpaas up` does
 * not load yaml, simple-git or the demo, and `status` does not load git-sync or the reloader.
 */
function lazy(
  name: string,
  summary: string,
  load: () => Promise<CommandRunner>,
  forwardsSignals?: true,
): Command {
  return {
    name,
    summary,
    ...(forwardsSignals ? { forwardsSignals } : {}),
    run: async (argv, context) => (await load()).run(argv, context),
  };
}

export const commands: readonly Command[] = [
  lazy(
    'demo',
    'see it work: a local repository with the example app, a push going live, a broken push kept out',
    async () => (await import('./commands/demo.js')).demoCommand,
  ),
  lazy(
    'up',
    'sync a repository and run the app from it, switching revisions with zero downtime',
    async () => (await import('./commands/up.js')).upCommand,
  ),
  lazy(
    'status',
    'show what is live, the last releases and the last sync error of a running `up`',
    async () => (await import('./commands/status.js')).statusCommand,
  ),
  lazy(
    'rollback',
    'go back to an earlier revision with no push; it stays live until the next push',
    async () => (await import('./commands/rollback.js')).rollbackCommand,
  ),
  lazy(
    'logs',
    "print the app's and the build's output of a release, and follow it live",
    async () => (await import('./commands/logs.js')).logsCommand,
  ),
  lazy(
    'init',
    'write Compose and Kubernetes files that deploy your repository',
    async () => (await import('./commands/init.js')).initCommand,
  ),
  lazy(
    'sync',
    'the git-sync sidecar alone: keep a directory at the newest revision (git-sync flags)',
    async () => (await import('./commands/sync.js')).syncCommand,
    true,
  ),
  lazy(
    'run',
    'the reloader alone: run a command, replace it on changes without dropping requests',
    async () => (await import('./commands/run.js')).runCommand,
    true,
  ),
];

function usage(context: CommandContext): string {
  const { colors } = context.terminal.out;
  const width = Math.max(...commands.map((c) => c.name.length)) + 3;
  return [
    `${colors.bold('gitpaas')} — push to a git repository and the new code is live.`,
    '',
    'Usage: gitpaas <command> [flags]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${colors.cyan(c.name.padEnd(width))}${c.summary}`),
    '',
    'Run `gitpaas <command> --help` for its flags and examples.',
    '',
    'Examples:',
    '  gitpaas demo',
    '  gitpaas up --repo https://github.com/you/app.git -- npm start',
    '  gitpaas status',
    '  gitpaas rollback',
    '  gitpaas logs -f',
    '',
  ].join('\n');
}

function unknownCommand(name: string): CliError {
  return new CliError(
    'E_UNKNOWN_COMMAND',
    `unknown command "${name}": use one of ${commands.map((c) => c.name).join(', ')} (gitpaas --help)`,
  );
}

/** The whole CLI: dispatches to a command, prints any error as one line, returns the exit code. */
export async function main(argv: readonly string[], context: CommandContext): Promise<number> {
  const [name, ...rest] = argv;
  const { err, out } = context.terminal;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
      if (topic) return await topic.run(['--help'], context);
      if (name === 'help' && rest[0] !== undefined) throw unknownCommand(rest[0]);
      out.write(usage(context));
      return name === undefined ? 2 : 0;
    }
    if (name === '--version' || name === '-V') {
      out.write(`gitpaas ${version()}\n`);
      return 0;
    }
    const command = commands.find((c) => c.name === name);
    if (!command) throw unknownCommand(name);
    return await command.run(rest, context);
  } catch (error) {
    const label = name && commands.some((c) => c.name === name) ? `gitpaas ${name}` : 'gitpaas';
    err.write(`${err.colors.red(`${label}: ${oneLine(error)}`)}\n`);
    if (debugRequested(context.env) && error instanceof Error && error.stack) {
      err.write(`${err.colors.dim(error.stack)}\n`);
    }
    return exitCodeOf(error);
  }
}
