import type { Redactor } from './redact.js';

/** What the library logs through; pino, console or anything with these four methods fits. */
export interface Logger {
  debug(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Wraps a logger so nothing secret reaches it, whatever the caller passes. */
export function redactingLogger(logger: Logger, redactor: Redactor): Logger {
  const wrap =
    (level: keyof Logger) =>
    (msg: string, fields?: object): void => {
      if (fields === undefined) logger[level](redactor.redact(msg));
      else logger[level](redactor.redact(msg), redactor.redactValue(fields));
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
