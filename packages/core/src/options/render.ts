import { formatDuration } from './duration.js';
import { placeholder } from './parse.js';
import { envNames, type OptionSpec, type OptionTable } from './spec.js';

function shownDefault(spec: OptionSpec): string | undefined {
  if (spec.default === undefined || spec.secret) return undefined;
  if (spec.type === 'duration' && typeof spec.default === 'number') return formatDuration(spec.default);
  if (Array.isArray(spec.default)) return spec.default.length ? spec.default.join(',') : undefined;
  if (spec.default === '' || spec.default === false) return undefined;
  return String(spec.default);
}

function flagText(spec: OptionSpec): string {
  const value = placeholder(spec);
  const long = `--${spec.name}${value ? ` ${value}` : ''}`;
  return spec.short ? `-${spec.short}, ${long}` : `    ${long}`;
}

function grouped(table: OptionTable, includeHidden: boolean): Map<string, OptionSpec[]> {
  const groups = new Map<string, OptionSpec[]>();
  for (const spec of table.options) {
    if (spec.hidden && !includeHidden) continue;
    const group = spec.group ?? 'Options';
    groups.set(group, [...(groups.get(group) ?? []), spec]);
  }
  return groups;
}

export interface HelpText {
  usage: string;
  description?: string;
  examples?: readonly string[];
}

/** The --help screen, generated from the table. */
export function renderHelp(table: OptionTable, text: HelpText): string {
  const lines = [`Usage: ${text.usage}`, ''];
  if (text.description) lines.push(text.description, '');
  for (const [group, specs] of grouped(table, false)) {
    lines.push(`${group}:`);
    const width = Math.min(40, Math.max(...specs.map((spec) => flagText(spec).length)) + 2);
    for (const spec of specs) {
      const flag = flagText(spec);
      const def = shownDefault(spec);
      const env = envNames(table, spec)[0];
      const help = `${spec.help}${def ? ` (default ${def})` : ''} [$${env}]`;
      lines.push(
        flag.length + 2 > width
          ? `  ${flag}\n  ${' '.repeat(width)}${help}`
          : `  ${flag.padEnd(width)}${help}`,
      );
    }
    lines.push('');
  }
  if (text.examples?.length) lines.push('Examples:', ...text.examples.map((example) => `  ${example}`), '');
  return lines.join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The options table for a README, generated from the table. */
export function renderOptionsMarkdown(table: OptionTable): string {
  const rows = ['| flag | env | default | description |', '| --- | --- | --- | --- |'];
  for (const spec of table.options) {
    const value = placeholder(spec);
    const flag = `\`--${spec.name}${value ? ` ${value}` : ''}\`${spec.short ? ` (\`-${spec.short}\`)` : ''}`;
    const env = envNames(table, spec)
      .map((name) => `\`${name}\``)
      .join(', ');
    const def = shownDefault(spec);
    rows.push(`| ${cell(flag)} | ${env} | ${def ? `\`${cell(def)}\`` : ''} | ${cell(spec.help)} |`);
  }
  return rows.join('\n');
}

export const OPTIONS_START = '<!-- options:start (generated from the option table; run `pnpm run docs`) -->';
export const OPTIONS_END = '<!-- options:end -->';

/** The markers around a generated block; `name` tells several blocks of one README apart (`demo`). */
export function optionsMarkers(name?: string): { start: string; end: string } {
  if (!name) return { start: OPTIONS_START, end: OPTIONS_END };
  return {
    start: `<!-- options:start ${name} (generated from the option table; run \`pnpm run docs\`) -->`,
    end: `<!-- options:end ${name} -->`,
  };
}

/** Replaces the generated block between the markers; throws when the markers are missing. */
export function replaceOptionsBlock(readme: string, table: OptionTable, name?: string): string {
  const markers = optionsMarkers(name);
  const start = readme.indexOf(markers.start);
  const end = readme.indexOf(markers.end, start);
  if (start < 0 || end < start) throw new Error(`README has no ${markers.start} … ${markers.end} block`);
  return `${readme.slice(0, start + markers.start.length)}\n${renderOptionsMarkdown(table)}\n${readme.slice(end)}`;
}
