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
  /**
   * It runs another bin and passes every SIGINT/SIGTERM/SIGHUP on to it as it comes
   * (`sync`, `run`): the bin decides what a signal means (git-sync's --sync-on-signal).
   */
  forwardsSignals?: boolean;
  /** Resolves to the exit code. Throws for errors; the caller prints them as one line. */
  run(argv: string[], context: CommandContext): Promise<number>;
}
