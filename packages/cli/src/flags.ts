import {
  defineOptions,
  type HelpText,
  type OptionSpec,
  type OptionValue,
  type ParsedOptions,
  parseOptions,
  renderHelp,
} from '@gitpaas/core';
import type { CommandContext } from './command.js';
import { GitpaasError } from './errors.js';

/** Flags every gitpaas command understands (env GITPAAS_…). */
export const logFormatOption = {
  name: 'log-format',
  type: 'enum',
  choices: ['pretty', 'json'],
  default: 'pretty',
  help: 'Log lines for people (pretty) or one JSON object per line (json)',
  group: 'Output',
} as const satisfies OptionSpec;

export const commonEnvPrefixes = ['GITPAAS_'] as const;

export function commandTable(options: readonly OptionSpec[]) {
  return defineOptions({ envPrefixes: commonEnvPrefixes, options });
}

function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/**
 * Parses a command's flags and env, or prints its --help and returns undefined.
 * Unexpected positionals are a usage error (unless the command takes them).
 */
export function parseCommand(
  table: Parameters<typeof parseOptions>[0],
  argv: readonly string[],
  context: CommandContext,
  help: HelpText,
  extra: { defaults?: Record<string, OptionValue>; positionals?: boolean } = {},
): ParsedOptions | undefined {
  if (wantsHelp(argv)) {
    context.terminal.out.write(renderHelp(table, help));
    return undefined;
  }
  const parsed = parseOptions(table, { argv, env: context.env, defaults: extra.defaults });
  if (!extra.positionals && parsed.positionals.length > 0) {
    throw new GitpaasError(
      'E_USAGE',
      `unexpected argument "${parsed.positionals[0]}": flags take the form --name=value (see --help)`,
    );
  }
  return parsed;
}
