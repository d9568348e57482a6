import type { Terminal } from './terminal.js';

/** What every subcommand gets: where to print, the environment, and the way to stop. */
export interface CommandContext {
  terminal: Terminal;
  env: NodeJS.ProcessEnv;
  /** Aborted on the first SIGINT/SIGTERM: long-running commands stop cleanly. */
  signal: AbortSignal;
  cwd: string;
}

export interface Command {
  name: string;
  summary: string;
  /** Resolves to the exit code. Throws for errors; the caller prints them as one line. */
  run(argv: string[], context: CommandContext): Promise<number>;
}
