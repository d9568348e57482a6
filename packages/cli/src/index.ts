export type { Command, CommandContext } from './command.js';
export { GitpaasError, type GitpaasErrorCode } from './errors.js';
export type { CliLogger, LogFormat, Logger } from './logger.js';
export { commands, main } from './main.js';
export { processTerminal, type Terminal } from './terminal.js';
export { createUp, type Up, type UpOptions } from './up.js';
export {
  DEFAULT_HTTP_BIND,
  DEFAULT_PORT,
  options,
  toUpConfig,
  type UpConfig,
} from './up-options.js';
