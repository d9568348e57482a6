import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

/** Parsed YAML (Compose files, Kubernetes objects): the tests assert its shape. */
// biome-ignore lint/suspicious/noExplicitAny: arbitrary parsed YAML, checked by the assertions
export type Yaml = any;

/** deploy/ */
export const DEPLOY = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = join(DEPLOY, '..');

/** Whether a command is on PATH (static checks skip, with a reason, when a tool is missing). */
export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export function readYaml(path: string): Yaml {
  return parse(readFileSync(join(DEPLOY, path), 'utf8'));
}

/** `kubectl kustomize deploy/<dir>` as text. */
export function kustomize(dir: string): string {
  return execFileSync('kubectl', ['kustomize', join(DEPLOY, dir)], { encoding: 'utf8' });
}

export function objects(rendered: string): Yaml[] {
  return parseAllDocuments(rendered)
    .map((doc) => doc.toJS())
    .filter(Boolean);
}

/** Go-style duration ("1m30s", "250ms") in milliseconds, as git-sync and the reloader read them. */
export function durationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new Error(`not a duration: ${text}`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * (units[unit as string] ?? 0), 0);
}

/** The flag names an option table declares, read from the package's options source. */
export function flagNames(pkg: 'git-sync' | 'reloader'): Set<string> {
  const source = readFileSync(join(ROOT, 'packages', pkg, 'src', 'options.ts'), 'utf8');
  return new Set([...source.matchAll(/\bname: '([a-z][a-z0-9-]*)'/g)].map((m) => m[1] as string));
}

/** GITSYNC_MAX_FAILURES → max-failures */
export function flagOfEnv(env: string, prefix: string): string {
  return env.slice(prefix.length).toLowerCase().replaceAll('_', '-');
}
