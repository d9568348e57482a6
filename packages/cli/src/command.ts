import {
  type HelpText,
  type OptionTable,
  type ParsedOptions,
  parseOptions,
  type ResolvedValues,
  renderHelp,
} from '@gitpaas/core';
import { CliError } from './errors.js';
import type { Terminal } from './terminal.js';

/** What every subcommand gets: where to print, the environment, and the way to stop. */
export interface CommandContext {
  terminal: Terminal;
  env: NodeJS.ProcessEnv;
  /** Aborted on the first SIGINT/SIGTERM: long-running commands stop cleanly. */
  signal: AbortSignal;
  cwd: string;
}

/** What a command's module provides: it runs. */
export interface CommandRunner {
  name: string;
  /** Resolves to the exit code. Throws for errors; the caller prints them as one line. */
  run(argv: string[], context: CommandContext): Promise<number>;
}

export interface Command extends CommandRunner {
  summary: string;
  /**
   * It runs another bin and passes every SIGINT/SIGTERM/SIGHUP on to it as it comes
   * (`sync`, `run`): the bin decides what a signal means (git-sync's --sync-on-signal).
   */
  forwardsSignals?: boolean;
}

/** A command that parses its own flags: the table, its --help text, and what it does with them. */
export interface CommandSpec<T extends OptionTable> {
  name: string;
  options: T;
  help: HelpText;
  /** How many words the command takes besides its flags (`gitpaas rollback [REV]`); none by default. */
  positionals?: number;
  run(values: ResolvedValues<T>, parsed: ParsedOptions, context: CommandContext): Promise<number>;
}

function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** The one way a command reads its flags and env: --help prints and exits 0, stray words exit 2. */
export function defineCommand<const T extends OptionTable>(spec: CommandSpec<T>): CommandRunner {
  return {
    name: spec.name,
    async run(argv, context) {
      if (wantsHelp(argv)) {
        context.terminal.out.write(renderHelp(spec.options, spec.help));
        return 0;
      }
      const parsed = parseOptions(spec.options, { argv, env: context.env });
      const extra = parsed.positionals[spec.positionals ?? 0];
      if (extra !== undefined) {
        throw new CliError(
          'E_USAGE',
          `unexpected argument "${extra}": flags take the form --name=value (see --help)`,
        );
      }
      return spec.run(parsed.values as ResolvedValues<T>, parsed, context);
    },
  };
}
