import { CliError } from './errors.js';

/** A value Compose reads back as is, written bare. */
const PLAIN = /^[\w@%+=:,./-]+( [\w@%+=:,./-]+)*$/;

/**
 * `KEY=value` as both Compose v2 and docker-compose 1.29 read a .env file: bare when plain,
 * else single-quoted (taken literally by both), else double-quoted when it holds a `'` (both
 * read `\"` and `\\`; but both expand `$` there, so a value with `'` and `$` cannot be written).
 */
export function envLine(key: string, value: string, flag = key): string {
  if (value === '' || PLAIN.test(value)) return `${key}=${value}`;
  if (!/['\\\n\r]/.test(value)) return `${key}='${value}'`;
  if (!/[$\n\r]/.test(value)) return `${key}="${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  throw new CliError(
    'E_USAGE',
    `${flag}: ${JSON.stringify(value)} cannot go into .env (Compose would expand its $ or cut its line): put it in a script and pass that`,
  );
}

/**
 * A .env file from the reference one: its first comment block replaced by `header`, and each
 * `KEY=` line of `values` set (the reference must have every one of them, uncommented).
 */
export function patchEnvFile(
  reference: string,
  header: string,
  values: Record<string, { value: string; flag?: string }>,
): string {
  const lines = reference.split('\n');
  const body = lines.slice(lines.findIndex((line) => !line.startsWith('#')));
  const missing = new Set(Object.keys(values));
  const patched = body.map((line) => {
    const key = /^(\w+)=/.exec(line)?.[1];
    const given = key === undefined ? undefined : values[key];
    if (!key || !given) return line;
    missing.delete(key);
    return envLine(key, given.value, given.flag);
  });
  if (missing.size > 0) {
    throw new Error(
      `the reference .env has no ${[...missing].join(', ')}: update init-files.ts to match deploy/`,
    );
  }
  return [...header.split('\n').map((line) => `# ${line}`.trimEnd()), ...patched].join('\n');
}
