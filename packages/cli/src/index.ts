export { GitpaasError, isGitpaasError, type LogFormat, type Logger, type ScopedLogger } from '@gitpaas/core';
export type { Command, CommandContext } from './command.js';
export { demoOptions } from './commands/demo.js';
export { initOptions } from './commands/init.js';
export { logsOptions } from './commands/logs.js';
export { rollbackOptions } from './commands/rollback.js';
export { statusOptions } from './commands/status.js';
export { CliError, type CliErrorCode } from './errors.js';
export { commands, main } from './main.js';
export { processTerminal, type Stream, type Terminal } from './terminal.js';
export { createUp, type Up, type UpOptions } from './up.js';
export {
  DEFAULT_HTTP_BIND,
  DEFAULT_PORT,
  options,
  toUpConfig,
  type UpConfig,
} from './up-options.js';
