export { formatDuration, parseDuration } from './duration.js';
export { FlagError, type FlagErrorCode } from './errors.js';
export { type OptionValue, type ParsedOptions, type ParseInput, parseOptions, placeholder } from './parse.js';
export { syncOptionsReadme } from './readme.js';
export {
  type HelpText,
  OPTIONS_END,
  OPTIONS_START,
  renderHelp,
  renderOptionsMarkdown,
  replaceOptionsBlock,
} from './render.js';
export {
  defineOptions,
  envNames,
  type OptionSpec,
  type OptionTable,
  type OptionType,
  optionKey,
} from './spec.js';
