import { deadline } from '@gitpaas/core';
import type { Hook } from './hooks.js';

export interface WebhookOptions {
  url: string;
  /** HTTP method (kubernetes/git-sync default POST). */
  method: string;
  /** The status that means success; 0 accepts any response (fire and forget). */
  successStatus: number;
  timeoutMs: number;
  redact?: (text: string) => string;
}

const BODY_EXCERPT_CHARS = 200;

/** The URL without `user:password@`, safe to log. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}

/** `--webhook-url`: one request per delivery with the header `Gitsync-Hash`, as kubernetes/git-sync sends. */
export function createWebhook(options: WebhookOptions): Hook {
  const { method, successStatus, timeoutMs, redact = (s) => s } = options;
  const target = new URL(options.url);
  const headers: Record<string, string> = {};
  // fetch refuses URLs with credentials; send them as basic auth instead.
  if (target.username || target.password) {
    const user = decodeURIComponent(target.username);
    const pass = decodeURIComponent(target.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  const where = `${method} ${target.toString()}`;
  return {
    name: 'webhook',
    async run(hash, signal) {
      const limit = deadline(timeoutMs, [signal]);
      try {
        let response: Response;
        try {
          response = await fetch(target, {
            method,
            headers: { ...headers, 'Gitsync-Hash': hash },
            signal: limit.signal,
          });
        } catch (error) {
          const err = error as Error & { cause?: { message?: string } };
          const reason = limit.timedOut
            ? `no answer within ${timeoutMs} ms`
            : redact(err.cause?.message ?? err.message);
          return { ok: false, reason: `webhook ${where} failed: ${reason}` };
        }
        const body = await response.text().catch(() => '');
        if (successStatus > 0 && response.status !== successStatus) {
          const excerpt = redact(body.slice(0, BODY_EXCERPT_CHARS));
          return {
            ok: false,
            reason: `webhook ${where} answered ${response.status}, expected ${successStatus}`,
            output: excerpt ? [excerpt] : [],
          };
        }
        return { ok: true };
      } finally {
        limit.clear();
      }
    },
  };
}
