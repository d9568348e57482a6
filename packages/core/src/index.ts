// @gitpaas/core: what every gitpaas package shares, each concern once — option tables, errors,
// logging, redaction, the environment of user programs, backoff, listen addresses, HTTP server
// timeouts, process tables, typed events and timers.
export { backoffMs } from './backoff.js';
export { type BindAddress, formatBind, parseBind } from './bind.js';
export {
  exitCodeOf,
  GitpaasError,
  type GitpaasErrorOptions,
  isGitpaasError,
  oneLine,
  USAGE_EXIT_CODE,
} from './errors.js';
export { Emitter } from './events.js';
export { controlServerOptions } from './http-timeouts.js';
export {
  type Colors,
  createLogger,
  debugRequested,
  formatFields,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  type LogStream,
  redactingLogger,
  type ScopedLogger,
  silentLogger,
} from './logger.js';
export { formatDuration, parseDuration } from './options/duration.js';
export { FlagError, type FlagErrorCode } from './options/errors.js';
export {
  type OptionValue,
  type ParsedOptions,
  type ParseInput,
  parseOptions,
  placeholder,
} from './options/parse.js';
export { syncOptionsReadme } from './options/readme.js';
export {
  type HelpText,
  OPTIONS_END,
  OPTIONS_START,
  optionsMarkers,
  renderHelp,
  renderOptionsMarkdown,
  replaceOptionsBlock,
} from './options/render.js';
export { checkRange, resolveValues } from './options/resolve.js';
export {
  type CamelCase,
  defineOptions,
  envNames,
  type OptionSpec,
  type OptionTable,
  type OptionType,
  type OptionValues,
  optionKey,
  type ResolvedValues,
  type ValueOf,
} from './options/spec.js';
export {
  childrenOf,
  descendantsOf,
  environmentVariable,
  groupAlive,
  isRunning,
  type ProcessInfo,
  processTable,
  readProcess,
  signalGroup,
  signalProcess,
} from './proc.js';
export { MIN_SECRET_LENGTH, REDACTED, Redactor, redactStrings } from './redact.js';
export { type Deadline, deadline, sleep, whenAborted } from './timers.js';
export { splitUrlCredentials, type UrlCredentials } from './url-credentials.js';
export { isGitpaasSetting, userEnvironment } from './user-env.js';
export { type WaitForOptions, waitFor } from './wait.js';
