import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES_DIR, type CaseResult, type Counts } from './fault-case.js';

const DOC = fileURLToPath(new URL('../../docs/reliability.md', import.meta.url));
const LAST_RUN = fileURLToPath(new URL('../results/last-run.json', import.meta.url));

/** Reads the cases' records, keeps them as results/last-run.json and renders docs/reliability.md. */
export function writeReport(startedAt: Date, endedAt: Date): void {
  const cases = existsSync(CASES_DIR)
    ? readdirSync(CASES_DIR)
        .filter((name) => name.endsWith('.json'))
        .map((name) => JSON.parse(readFileSync(join(CASES_DIR, name), 'utf8')) as CaseResult)
    : [];
  const run = {
    startedAt: startedAt.toISOString(),
    wallSeconds: Math.round((endedAt.getTime() - startedAt.getTime()) / 1000),
    machine: `${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at the end, Node ${process.version}`,
  };
  mkdirSync(join(LAST_RUN, '..'), { recursive: true });
  writeFileSync(LAST_RUN, `${JSON.stringify({ run, cases }, null, 2)}\n`);
  writeFileSync(DOC, renderReport(run, cases));
}

const COLUMNS: Array<[keyof Counts, string]> = [
  ['faults', 'faults injected'],
  ['requests', 'requests sent'],
  ['failedRequests', 'requests failed'],
  ['badInputs', 'bad inputs tried'],
  ['secretBytes', 'secret bytes leaked'],
];

export function renderReport(
  run: { startedAt: string; wallSeconds: number; machine: string },
  cases: CaseResult[],
): string {
  const total = (key: keyof Counts) => cases.reduce((sum, one) => sum + one.counts[key], 0);
  const passed = cases.filter((one) => one.state === 'passed').length;
  const groups = [...new Set(cases.map((one) => one.group))];
  const lines = [
    '# Reliability: the fault tier',
    '',
    '<!-- Rendered by `pnpm test:faults` (faults/src/report.ts) from its last run: do not edit by hand. -->',
    '',
    'What gitpaas does when things go wrong, checked by injecting the faults into the real bins',
    '(`git-sync`, `reloader`, `gitpaas up`) running as processes on 127.0.0.1, against real git remotes,',
    'with a steady client load on the public port counting every failed request. Each case states',
    'what it expects and fails when that does not happen. The suite is',
    '[`faults/`](../faults); `npx -y pnpm@10 test:faults` runs it (at most 10 minutes; the disk-full',
    'case mounts a tmpfs and needs root, as CI has) and rewrites this page; `.ci/run` runs it too.',
    '',
    `Last run: ${run.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${run.wallSeconds} s wall time, ${run.machine}.`,
    '',
    '| cases passed | cases failed | ' + COLUMNS.map(([, title]) => title).join(' | ') + ' |',
    '|---:|---:|' + COLUMNS.map(() => '---:').join('|') + '|',
    `| ${passed} | ${cases.length - passed} | ${COLUMNS.map(([key]) => total(key)).join(' | ')} |`,
    '',
  ];
  for (const group of groups) {
    const rows = cases.filter((one) => one.group === group).sort((a, b) => a.title.localeCompare(b.title));
    lines.push(`## ${group}`, '');
    lines.push('| case | result | ' + COLUMNS.map(([, title]) => title).join(' | ') + ' |');
    lines.push('|---|---|' + COLUMNS.map(() => '---:').join('|') + '|');
    for (const one of rows) {
      const result = one.state === 'passed' ? 'passed' : `**${one.state}**`;
      lines.push(
        `| ${cell(one.title)} | ${result} | ${COLUMNS.map(([key]) => one.counts[key]).join(' | ')} |`,
      );
    }
    lines.push('');
    for (const one of rows) {
      lines.push(`- **${cell(one.title)}** — expects: ${one.expectation}.`);
      for (const fact of one.observed) lines.push(`  - ${fact}`);
      if (one.error) lines.push(`  - failed: ${one.error}`);
    }
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}
