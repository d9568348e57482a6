import { pino } from 'pino';
import type { Stream } from './terminal.js';

/** The logger interface of the gitpaas libraries: they log through it and never print. */
export interface Logger {
  debug(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

export type LogFormat = 'pretty' | 'json';
type Level = keyof Logger;

/** A logger that can hand out scoped children (`sync`, `run`, `app`), all in one stream. */
export interface CliLogger extends Logger {
  child(component: string): CliLogger;
}

export interface LoggerOptions {
  format: LogFormat;
  stream: Stream;
  /** Log debug lines too (`-v`, or DEBUG=gitpaas:*). */
  debug?: boolean;
}

const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function createLogger(options: LoggerOptions): CliLogger {
  return options.format === 'json' ? jsonLogger(options) : prettyLogger(options, undefined);
}

/** DEBUG=gitpaas:* (or DEBUG=*) turns on debug lines, as in vite and the debug package. */
export function debugRequested(env: NodeJS.ProcessEnv): boolean {
  return (env.DEBUG ?? '').split(/[\s,]+/).some((name) => name === '*' || name.startsWith('gitpaas'));
}

function jsonLogger(options: LoggerOptions): CliLogger {
  // Synchronous writes: a line logged right before exit is never lost.
  const root = pino(
    {
      level: options.debug ? 'debug' : 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 2, sync: true }),
  );
  const wrap = (target: pino.Logger): CliLogger => ({
    debug: (msg, fields) => target.debug(fields ?? {}, msg),
    info: (msg, fields) => target.info(fields ?? {}, msg),
    warn: (msg, fields) => target.warn(fields ?? {}, msg),
    error: (msg, fields) => target.error(fields ?? {}, msg),
    child: (component) => wrap(target.child({ component })),
  });
  return wrap(root);
}

function prettyLogger(options: LoggerOptions, component: string | undefined): CliLogger {
  const { colors, write } = options.stream;
  const min = options.debug ? RANK.debug : RANK.info;
  const line = (level: Level) => (msg: string, fields?: object) => {
    if (RANK[level] < min) return;
    const time = colors.dim(new Date().toTimeString().slice(0, 8));
    const tag = component ? colors.cyan(component.padEnd(5)) : '';
    const text =
      level === 'error'
        ? colors.red(msg)
        : level === 'warn'
          ? colors.yellow(msg)
          : level === 'debug'
            ? colors.dim(msg)
            : msg;
    const extra = formatFields(fields);
    write(`${time} ${tag}${tag ? ' ' : ''}${text}${extra ? ` ${colors.dim(extra)}` : ''}\n`);
  };
  return {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    child: (name) => prettyLogger(options, name),
  };
}

/** `key=value` pairs; strings with spaces quoted, errors as their message. */
export function formatFields(fields: object | undefined): string {
  if (!fields) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`${key}=${formatValue(value)}`);
  }
  return parts.join(' ');
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') {
    // A full commit hash reads better short; JSON logs keep it whole.
    if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(value)) return value.slice(0, 7);
    return /^[\w./:@+-]+$/.test(value) ? value : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
}
