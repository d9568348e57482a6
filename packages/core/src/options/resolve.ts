import { formatDuration } from './duration.js';
import { FlagError } from './errors.js';
import type { OptionValue } from './parse.js';
import {
  type OptionSpec,
  type OptionTable,
  type OptionValues,
  optionKey,
  type ResolvedValues,
} from './spec.js';

/**
 * Fills each option the caller left unset with the table's default (or `defaults`, a wrapper's
 * own) and checks what was given against the table's types, ranges and choices: the same rules
 * the flag parser applies, for callers of a library who never went through the parser. Keys that
 * are not in the table are kept as they are. Throws FlagError naming the flag.
 */
export function resolveValues<T extends OptionTable, I extends OptionValues<T>>(
  table: T,
  input: I,
  defaults: Partial<Record<string, OptionValue>> = {},
): ResolvedValues<T> & Omit<I, keyof ResolvedValues<T>> {
  const out: Record<string, unknown> = { ...input };
  for (const spec of table.options) {
    const key = optionKey(spec.name);
    const given = out[key];
    if (given === undefined) {
      const fallback = key in defaults ? defaults[key] : spec.default;
      if (fallback === undefined) delete out[key];
      else out[key] = Array.isArray(fallback) ? [...fallback] : fallback;
      continue;
    }
    check(spec, given);
  }
  return out as ResolvedValues<T> & Omit<I, keyof ResolvedValues<T>>;
}

function check(spec: OptionSpec, value: unknown): void {
  const flag = `--${spec.name}`;
  const bad = (what: string) =>
    new FlagError(
      'E_BAD_FLAG',
      `${flag}: ${spec.secret ? '(hidden)' : JSON.stringify(value)} is not ${what}`,
      flag,
    );
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') throw bad('a string');
      return;
    case 'bool':
      if (typeof value !== 'boolean') throw bad('true or false');
      return;
    case 'list':
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
        throw bad('a list of strings');
      return;
    case 'enum':
      if (typeof value !== 'string' || !spec.choices?.includes(value))
        throw bad(`one of ${spec.choices?.join(', ')}`);
      return;
    case 'int':
    case 'duration': {
      const whole = spec.type === 'int' ? Number.isInteger(value) : Number.isFinite(value);
      if (typeof value !== 'number' || !whole) {
        throw bad(spec.type === 'int' ? 'a whole number' : 'a duration in milliseconds');
      }
      checkRange(spec, value, flag);
    }
  }
}

/** Throws FlagError when `n` is outside the option's min/max; `source` is the flag or env name. */
export function checkRange(spec: OptionSpec, n: number, source: string): void {
  const show = (v: number) => (spec.type === 'duration' ? formatDuration(v) : String(v));
  const flag = source.startsWith('-') ? source : undefined;
  if (spec.min !== undefined && n < spec.min) {
    throw new FlagError(
      'E_BAD_FLAG',
      `${source}: ${show(n)} is too small, use at least ${show(spec.min)}`,
      flag,
    );
  }
  if (spec.max !== undefined && n > spec.max) {
    throw new FlagError(
      'E_BAD_FLAG',
      `${source}: ${show(n)} is too large, use at most ${show(spec.max)}`,
      flag,
    );
  }
}
