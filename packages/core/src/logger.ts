import { createRequire } from 'node:module';
import type pc from 'picocolors';
import { type Redactor, redactStrings } from './redact.js';

/** What the gitpaas libraries log through (they never print); pino, console or any four-method object fits. */
export interface Logger {
  debug(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

/** A logger that hands out scoped children (`sync`, `run`, `app`), all writing to one stream. */
export interface ScopedLogger extends Logger {
  child(component: string): ScopedLogger;
}

export type LogFormat = 'pretty' | 'json';
export type Colors = ReturnType<typeof pc.createColors>;

/** Where pretty lines go, with the colours they may use. */
export interface LogStream {
  write(text: string): void;
  readonly colors: Colors;
}

const noop = () => {};
export const silentLogger: ScopedLogger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

/** Wraps a logger so nothing secret reaches it, whatever the caller passes (a Redactor, or any redact function). */
export function redactingLogger(logger: Logger, redactor: Redactor | ((text: string) => string)): Logger {
  const redact = typeof redactor === 'function' ? redactor : (text: string) => redactor.redact(text);
  const wrap =
    (level: keyof Logger) =>
    (msg: string, fields?: object): void => {
      if (fields === undefined) logger[level](redact(msg));
      else logger[level](redact(msg), redactStrings(fields, redact));
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}

export interface LoggerOptions {
  format: LogFormat;
  /** Pretty lines go here (default: stderr, coloured when it is a terminal). */
  stream?: LogStream;
  /** JSON lines go here (default: stderr, whose writes Node makes synchronous for files, pipes and terminals). */
  write?: (line: string) => void;
  /** Log debug lines too (`-v`, or DEBUG=gitpaas:*). */
  debug?: boolean;
  /** The component of the root logger (`git-sync`, `reloader`); children name their own. */
  name?: string;
}

/** One logger for every bin: readable lines for people, or JSON lines (pino's shape) for machines. */
export function createLogger(options: LoggerOptions): ScopedLogger {
  return options.format === 'json' ? jsonLogger(options) : prettyLogger(options, options.name);
}

/** DEBUG=gitpaas:* (or DEBUG=*, or DEBUG=gitpaas:<name>) turns on debug lines, as in vite and the debug package. */
export function debugRequested(env: NodeJS.ProcessEnv, name?: string): boolean {
  return (env.DEBUG ?? '')
    .split(/[\s,]+/)
    .some(
      (part) =>
        part === '*' || part === 'gitpaas:*' || part === 'gitpaas' || (name && part === `gitpaas:${name}`),
    );
}

/** pino's level numbers, so pino-pretty and log shippers that know pino read these lines as they are. */
const LEVEL_NUMBER = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/**
 * JSON lines in the shape pino writes by default (`level` number, `time` in ms, `pid`, `name`,
 * `component`, the fields, `msg`). Written here rather than with pino: one synchronous
 * `JSON.stringify` per line is all these bins need, and pino's module graph cost 9 MB of resident
 * memory and 35 ms of start-up in every process (issue 15's footprint figures).
 */
function jsonLogger(options: LoggerOptions): ScopedLogger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const min = options.debug ? LEVEL_NUMBER.debug : LEVEL_NUMBER.info;
  const make = (bindings: object): ScopedLogger => {
    const line = (level: Level) => (msg: string, fields?: object) => {
      const number = LEVEL_NUMBER[level];
      if (number < min) return;
      write(`${jsonLine({ level: number, time: Date.now(), ...bindings, ...fields, msg })}\n`);
    };
    return {
      debug: line('debug'),
      info: line('info'),
      warn: line('warn'),
      error: line('error'),
      child: (component) => make({ ...bindings, component }),
    };
  };
  return make({ pid: process.pid, ...(options.name ? { name: options.name } : {}) });
}

/** One JSON object: errors as their message, bigints as strings; a record that cannot be written says so. */
function jsonLine(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, (_key, value: unknown) =>
      value instanceof Error ? value.message : typeof value === 'bigint' ? String(value) : value,
    );
  } catch (error) {
    const { level, time, msg } = record;
    return JSON.stringify({ level, time, msg, logError: `fields not written: ${(error as Error).message}` });
  }
}

type Level = keyof Logger;
const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function stderrStream(): LogStream {
  const colored = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  // Required here, not imported: a bin writing JSON lines never loads it (a CommonJS module costs ESM start-up).
  const { createColors } = createRequire(import.meta.url)('picocolors') as typeof pc;
  return { write: (text) => void process.stderr.write(text), colors: createColors(colored) };
}

function prettyLogger(options: LoggerOptions, component: string | undefined): ScopedLogger {
  const stream = options.stream ?? stderrStream();
  const { colors } = stream;
  const min = options.debug ? RANK.debug : RANK.info;
  const paint: Record<Level, (text: string) => string> = {
    debug: colors.dim,
    info: (text) => text,
    warn: colors.yellow,
    error: colors.red,
  };
  const line = (level: Level) => (msg: string, fields?: object) => {
    if (RANK[level] < min) return;
    const time = colors.dim(new Date().toTimeString().slice(0, 8));
    const tag = component ? `${colors.cyan(component.padEnd(5))} ` : '';
    const extra = formatFields(fields);
    stream.write(`${time} ${tag}${paint[level](msg)}${extra ? ` ${colors.dim(extra)}` : ''}\n`);
  };
  return {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    child: (name) => prettyLogger({ ...options, stream }, name),
  };
}

/** `key=value` pairs; strings with spaces quoted, errors as their message, full hashes short. */
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
