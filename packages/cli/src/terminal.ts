import type { LogStream } from '@gitpaas/core';
import pc from 'picocolors';

/** One output stream with the colours it may use; the loggers of @gitpaas/core write to it too. */
export interface Stream extends LogStream {
  /** An interactive terminal: spinners and cursor moves are allowed. */
  readonly interactive: boolean;
}

/** Where commands print: results on `out`, logs and progress on `err`. */
export interface Terminal {
  out: Stream;
  err: Stream;
  env: NodeJS.ProcessEnv;
}

/** Colours only on a TTY; NO_COLOR turns them off, FORCE_COLOR on (https://no-color.org). */
export function colorsEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0';
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

function streamOf(target: NodeJS.WriteStream, env: NodeJS.ProcessEnv): Stream {
  return {
    write: (text) => void target.write(text),
    colors: pc.createColors(colorsEnabled(target, env)),
    interactive: Boolean(target.isTTY) && env.TERM !== 'dumb' && !env.CI,
  };
}

export function processTerminal(env: NodeJS.ProcessEnv = process.env): Terminal {
  return { out: streamOf(process.stdout, env), err: streamOf(process.stderr, env), env };
}
