import { debugRequested, exitCodeOf, oneLine } from '@gitpaas/core';
import type { Command, CommandContext } from './command.js';
import { demoCommand } from './commands/demo.js';
import { initCommand } from './commands/init.js';
import { logsCommand } from './commands/logs.js';
import { rollbackCommand } from './commands/rollback.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { syncCommand } from './commands/sync.js';
import { upCommand } from './commands/up.js';
import { CliError } from './errors.js';
import { version } from './version.js';

export const commands: readonly Command[] = [
  demoCommand,
  upCommand,
  statusCommand,
  rollbackCommand,
  logsCommand,
  initCommand,
  syncCommand,
  runCommand,
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
