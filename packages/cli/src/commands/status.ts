import { formatBind, parseBind } from '@gitpaas/core';
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { commandTable } from '../flags.js';
import { commitInfo } from '../git.js';
import { buildReport, renderReport, type StatusDoc } from '../status-report.js';
import { DEFAULT_HTTP_BIND } from '../up-options.js';

export const statusOptions = commandTable([
  {
    name: 'url',
    type: 'string',
    default: `http://${DEFAULT_HTTP_BIND}`,
    valueName: '<url>',
    help: 'Where `gitpaas up` serves its status: a URL, or its --http-bind as is (127.0.0.1:8081, :8081)',
  },
  { name: 'json', type: 'bool', help: 'Print JSON instead of the table' },
  {
    name: 'timeout',
    type: 'duration',
    default: 5000,
    min: 1,
    help: 'Give up when the server does not answer in time',
  },
]);

/** `--url` as given, or up's --http-bind value (`127.0.0.1:8081`, `:8081`) made a URL. */
function baseUrl(url: string): string {
  if (url.includes('://')) return url;
  const { host, port } = parseBind(url, '--url');
  return `http://${formatBind(host, port)}`;
}

async function fetchStatus(given: string, timeoutMs: number): Promise<StatusDoc> {
  const base = baseUrl(given);
  let url: URL;
  try {
    url = new URL('/status', base);
  } catch {
    throw new CliError('E_USAGE', `--url: "${given}" is not a URL, e.g. http://127.0.0.1:8081`);
  }
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    throw new CliError(
      'E_STATUS_UNREACHABLE',
      `nothing answers at ${url.origin}: is \`gitpaas up\` running there? (pass its --http-bind as --url)`,
      { cause: error },
    );
  }
  const text = await response.text();
  if (!response.ok) {
    throw new CliError(
      'E_STATUS_BAD_RESPONSE',
      `${url.href} answered ${response.status}: is this the address of \`gitpaas up\`?`,
    );
  }
  try {
    return JSON.parse(text) as StatusDoc;
  } catch (error) {
    throw new CliError('E_STATUS_BAD_RESPONSE', `${url.href} did not answer JSON: is this \`gitpaas up\`?`, {
      cause: error,
    });
  }
}

export const statusCommand = defineCommand({
  name: 'status',
  options: statusOptions,
  help: {
    usage: 'gitpaas status [--url <url>] [--json]',
    description:
      'Asks a running `gitpaas up` (or `gitpaas demo`) for its status: the live commit (hash, subject,\n' +
      'author, since when), the last releases with outcome and durations, and the last sync error.',
    examples: ['gitpaas status', 'gitpaas status --url http://10.0.0.5:8081 --json | jq .live'],
  },
  async run({ url, json, timeout }, _parsed, context) {
    const doc = await fetchStatus(url, timeout);
    const current = doc.reloader?.current;
    // The release dir is a worktree on this machine when status runs beside `up`; elsewhere
    // the hash from the document is all there is.
    const commit = current?.dir ? await commitInfo(current.dir) : undefined;
    const report = buildReport(url, doc, commit);
    const { out } = context.terminal;
    out.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report, out.colors, Date.now()));
    return 0;
  },
});
