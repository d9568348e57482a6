import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { formatBind, parseBind } from '@gitpaas/core';
import type { DashboardState } from '@gitpaas/reloader';
import { CliError } from './errors.js';

/** `--url` as given, or up's --http-bind value (`127.0.0.1:8081`, `:8081`) made a URL. */
export function baseUrl(url: string): string {
  if (url.includes('://')) return url;
  const { host, port } = parseBind(url, '--url');
  return `http://${formatBind(host, port)}`;
}

/** The trigger secret from `--secret-file`, without trailing line breaks. */
export async function readSecret(path: string): Promise<Buffer> {
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (error) {
    throw new CliError(
      'E_USAGE',
      `--secret-file: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? error})`,
      { cause: error },
    );
  }
  let end = content.length;
  while (end > 0 && (content[end - 1] === 0x0a || content[end - 1] === 0x0d)) end--;
  if (end === 0) throw new CliError('E_USAGE', `--secret-file: ${path} is empty`);
  return content.subarray(0, end);
}

/** What the server answered to a request that changes state. */
export interface Answer {
  status: number;
  doc: { outcome?: string; detail?: string; code?: string; hash?: string; from?: string | null };
}

/**
 * The operator API of a running `gitpaas up` (or a reloader with --sync-url): GET /api/state,
 * the log stream, and signed POST/DELETE requests. Errors say where it tried and what to do.
 */
export class Api {
  readonly base: URL;

  constructor(
    readonly given: string,
    /** How long a read, and a request that changes state (a rollback may fetch), may take. */
    private readonly timeouts: { readMs: number; actionMs: number },
    /** Signs what changes state (X-Gitpaas-Signature), for a server that is not on this host. */
    private readonly secret: Buffer | null = null,
  ) {
    try {
      this.base = new URL(baseUrl(given));
    } catch (error) {
      if (error instanceof CliError || (error as { code?: string }).code === 'E_BAD_FLAG') throw error;
      throw new CliError('E_USAGE', `--url: "${given}" is not a URL, e.g. http://127.0.0.1:8081`);
    }
  }

  async state(): Promise<DashboardState> {
    const url = new URL('api/state', this.base);
    const response = await this.fetch(url, { headers: { accept: 'application/json' } }, this.timeouts.readMs);
    const text = await response.text();
    if (!response.ok) {
      throw new CliError(
        'E_STATUS_BAD_RESPONSE',
        `${url.href} answered ${response.status}: is this the --http-bind of \`gitpaas up\` (or of a reloader)?`,
      );
    }
    try {
      return JSON.parse(text) as DashboardState;
    } catch (error) {
      throw new CliError(
        'E_STATUS_BAD_RESPONSE',
        `${url.href} did not answer JSON: is this \`gitpaas up\`?`,
        {
          cause: error,
        },
      );
    }
  }

  /** A request that changes state; 401/403 become E_FORBIDDEN with the way out. */
  async send(method: 'POST' | 'DELETE', path: string, payload?: unknown): Promise<Answer> {
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.secret) {
      headers['x-gitpaas-signature'] =
        `sha256=${createHmac('sha256', this.secret).update(body).digest('hex')}`;
    }
    const url = new URL(path, this.base);
    const init = { method, headers, body: body || undefined };
    const response = await this.fetch(url, init, this.timeouts.actionMs);
    const doc = (await response.json().catch(() => ({}))) as Answer['doc'];
    if (response.status === 401 || response.status === 403) {
      throw new CliError(
        'E_FORBIDDEN',
        `${url.origin} refused ${method} ${path}: ${doc.detail ?? response.status}; run this on the host of \`gitpaas up\`, or pass --secret-file with git-sync's --trigger-secret-file`,
      );
    }
    return { status: response.status, doc };
  }

  /** Opens a streaming GET (the logs), ended by `signal`. */
  stream(path: string, signal: AbortSignal): Promise<Response> {
    return this.fetch(new URL(path, this.base), { signal }, null);
  }

  private async fetch(url: URL, init: RequestInit, timeoutMs: number | null): Promise<Response> {
    try {
      return await fetch(
        url,
        timeoutMs === null ? init : { ...init, signal: AbortSignal.timeout(timeoutMs) },
      );
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new CliError(
        'E_STATUS_UNREACHABLE',
        `nothing answers at ${url.origin}: is \`gitpaas up\` running there? (pass its --http-bind as --url)`,
        { cause: error },
      );
    }
  }
}
