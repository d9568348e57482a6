export type OptionType = 'string' | 'int' | 'duration' | 'bool' | 'enum' | 'list';

/** One option, defined once: parsing, env names, --help and the docs table all come from here. */
export interface OptionSpec {
  /** Long flag name without dashes, kebab-case (`stale-worktree-timeout`). */
  name: string;
  type: OptionType;
  help: string;
  /** Default value, already in the parsed form (durations in milliseconds). */
  default?: string | number | boolean | string[];
  /** One-letter alias (`v` for `-v`). */
  short?: string;
  /** Allowed values, for `enum`. */
  choices?: readonly string[];
  /** Inclusive bounds, for `int` and `duration` (milliseconds). */
  min?: number;
  max?: number;
  /** Placeholder shown in help (`<url>`); derived from the type when missing. */
  valueName?: string;
  /** Extra env names read after the derived ones (e.g. a legacy name). */
  extraEnv?: readonly string[];
  /** Never echo the value in errors or docs. */
  secret?: boolean;
  /** Section heading in --help and docs. */
  group?: string;
  /** Not shown in --help (still parsed and documented). */
  hidden?: boolean;
}

export interface OptionTable {
  /** Env prefixes, first is the canonical one (`GITSYNC_`, then the legacy `GIT_SYNC_`). */
  envPrefixes: readonly string[];
  options: readonly OptionSpec[];
}

/** `stale-worktree-timeout` → `staleWorktreeTimeout`, the key in the parsed values. */
export function optionKey(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Every env name that sets this option, in lookup order. */
export function envNames(table: OptionTable, spec: OptionSpec): string[] {
  const suffix = spec.name.toUpperCase().replace(/-/g, '_');
  return [...table.envPrefixes.map((prefix) => prefix + suffix), ...(spec.extraEnv ?? [])];
}

/** Identity helper that keeps literal types, so tables read as data and option types can be inferred. */
export function defineOptions<const T extends OptionTable>(table: T): T {
  return table;
}

/** `stale-worktree-timeout` → `staleWorktreeTimeout`, at the type level. */
export type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/** The parsed type of one option: numbers for int and duration (milliseconds), the choices of an enum. */
export type ValueOf<S extends OptionSpec> = S['type'] extends 'string'
  ? string
  : S['type'] extends 'int' | 'duration'
    ? number
    : S['type'] extends 'bool'
      ? boolean
      : S['type'] extends 'list'
        ? string[]
        : S['type'] extends 'enum'
          ? S['choices'] extends readonly (infer C extends string)[]
            ? C
            : string
          : never;

type Specs<T extends OptionTable> = T['options'][number];

/** What a caller may pass: every option of the table, camelCase, optional. */
export type OptionValues<T extends OptionTable> = {
  [S in Specs<T> as CamelCase<S['name']>]?: ValueOf<S>;
};

/** After defaults are applied: options with a default are always there, the others may be missing. */
export type ResolvedValues<T extends OptionTable> = {
  [S in Specs<T> as S extends { default: unknown } ? CamelCase<S['name']> : never]: ValueOf<S>;
} & {
  [S in Specs<T> as S extends { default: unknown } ? never : CamelCase<S['name']>]?: ValueOf<S>;
};
