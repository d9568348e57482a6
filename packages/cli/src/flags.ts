import { defineOptions, type OptionSpec } from '@gitpaas/core';

/** Flags every gitpaas command understands (env GITPAAS_…). */
export const logFormatOption = {
  name: 'log-format',
  type: 'enum',
  choices: ['pretty', 'json'],
  default: 'pretty',
  help: 'Log lines for people (pretty) or one JSON object per line (json)',
  group: 'Output',
} as const satisfies OptionSpec;

/** `--url`: where a running `gitpaas up` serves (the operator commands talk to it). */
export function serverUrlOption(defaultBind: string) {
  return {
    name: 'url',
    type: 'string',
    default: `http://${defaultBind}`,
    valueName: '<url>',
    help: 'Where `gitpaas up` serves: a URL, or its --http-bind as is (127.0.0.1:8081, :8081); a reloader with --sync-url works too',
  } as const satisfies OptionSpec;
}

/** A command's option table: its flags, read from GITPAAS_<NAME> too. */
export function commandTable<const O extends readonly OptionSpec[]>(options: O) {
  return defineOptions({ envPrefixes: ['GITPAAS_'] as const, options });
}
