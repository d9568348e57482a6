import { parseArgs } from 'node:util';
import { parseDuration } from './duration.js';
import { FlagError } from './errors.js';
import { checkRange } from './resolve.js';
import { envNames, type OptionSpec, type OptionTable, optionKey } from './spec.js';

export type OptionValue = string | number | boolean | string[];

export interface ParsedOptions {
  /** Values by camelCase key; defaults filled in, unset options without default are absent. */
  values: Record<string, OptionValue | undefined>;
  /** Keys the user set explicitly, by flag or env. */
  explicit: Set<string>;
  /** Positional arguments before `--`. */
  positionals: string[];
  /** Everything after the first `--`, untouched (a command line to run). */
  rest: string[];
}

export interface ParseInput {
  argv: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Defaults that replace the table's (e.g. `gitpaas up` retries forever). */
  defaults?: Record<string, OptionValue>;
}

const TRUE = new Set(['true', '1', 't', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'f', 'no', 'off']);

/** Parses argv (flags win) and env against the table. Throws FlagError on any bad input. */
export function parseOptions(table: OptionTable, input: ParseInput): ParsedOptions {
  const byName = new Map(table.options.map((spec) => [spec.name, spec]));
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const spec of table.options) {
    config[spec.name] = {
      type: spec.type === 'bool' ? 'boolean' : 'string',
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.type === 'list' ? { multiple: true } : {}),
    };
  }
  const { tokens } = parseArgs({
    args: [...input.argv],
    options: config,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });

  const values: ParsedOptions['values'] = {};
  const explicit = new Set<string>();
  const positionals: string[] = [];
  let rest: string[] = [];

  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      rest = input.argv.slice(token.index + 1);
      break;
    }
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    const spec = byName.get(token.name);
    if (!spec) {
      throw new FlagError(
        'E_UNKNOWN_FLAG',
        `unknown flag ${token.rawName}: run with --help to see the flags`,
        token.rawName,
      );
    }
    const flag = `--${spec.name}`;
    let raw = token.value;
    if (spec.type === 'bool') {
      raw ??= 'true';
    } else if (
      raw === undefined ||
      (!token.inlineValue && raw.startsWith('--') && byName.has(raw.slice(2).split('=')[0]!))
    ) {
      throw new FlagError('E_BAD_FLAG', `${flag} needs a value: ${flag}=${placeholder(spec)}`, flag);
    }
    const key = optionKey(spec.name);
    const value = convert(spec, raw, flag);
    values[key] =
      spec.type === 'list'
        ? [...((values[key] as string[] | undefined) ?? []), ...(value as string[])]
        : value;
    explicit.add(key);
  }

  const env = input.env ?? {};
  for (const spec of table.options) {
    const key = optionKey(spec.name);
    if (explicit.has(key)) continue;
    for (const name of envNames(table, spec)) {
      const raw = env[name];
      if (raw === undefined || raw === '') continue;
      values[key] = convert(spec, raw, name);
      explicit.add(key);
      break;
    }
    if (!explicit.has(key)) {
      const fallback = input.defaults && key in input.defaults ? input.defaults[key] : spec.default;
      if (fallback !== undefined) values[key] = fallback;
    }
  }
  return { values, explicit, positionals, rest };
}

function convert(spec: OptionSpec, raw: string, source: string): OptionValue {
  const shown = spec.secret ? '(hidden)' : JSON.stringify(raw);
  const bad = (what: string) =>
    new FlagError(
      'E_BAD_FLAG',
      `${source}: ${shown} is not ${what}`,
      source.startsWith('-') ? source : undefined,
    );
  switch (spec.type) {
    case 'string':
      return raw;
    case 'list':
      return raw
        .split(source.startsWith('-') ? /\n/ : /,/)
        .map((part) => part.trim())
        .filter(Boolean);
    case 'bool': {
      const lower = raw.toLowerCase();
      if (TRUE.has(lower)) return true;
      if (FALSE.has(lower)) return false;
      throw bad('true or false');
    }
    case 'enum': {
      if (spec.choices?.includes(raw)) return raw;
      throw bad(`one of ${spec.choices?.join(', ')}`);
    }
    case 'int': {
      if (!/^[-+]?\d+$/.test(raw.trim())) throw bad('a whole number');
      const n = Number(raw);
      checkRange(spec, n, source);
      return n;
    }
    case 'duration': {
      const ms = parseDuration(raw);
      if (ms === undefined) throw bad('a duration such as 250ms, 10s or 1m30s');
      checkRange(spec, ms, source);
      return ms;
    }
  }
}

export function placeholder(spec: OptionSpec): string {
  if (spec.valueName) return spec.valueName;
  switch (spec.type) {
    case 'duration':
      return '<duration>';
    case 'int':
      return '<n>';
    case 'enum':
      return `<${spec.choices?.join('|')}>`;
    case 'bool':
      return '';
    default:
      return '<string>';
  }
}
