import { createHmac } from 'node:crypto';
import { waitFor } from '@gitpaas/core';

/** GET a URL's body as text (throws on a network error, never on a status). */
export async function getText(url: string, timeoutMs = 10_000): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, text: await response.text() };
}

export async function getJson<T>(url: string): Promise<T> {
  const { status, text } = await getText(url);
  if (status !== 200) throw new Error(`GET ${url}: ${status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

/** GitHub's signature of a body: `sha256=<hex HMAC-SHA256>`. */
export function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A GitHub push notification for `ref`. */
export function pushBody(ref = 'refs/heads/main'): string {
  return JSON.stringify({ ref, after: '0'.repeat(40), repository: { default_branch: 'main' } });
}

/** POSTs a push notification signed with `secret` (or with the headers given instead). */
export async function postSync(
  url: string,
  {
    secret,
    headers,
    body = pushBody(),
  }: { secret?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      ...(secret ? { 'x-hub-signature-256': sign(body, secret) } : {}),
      ...headers,
    },
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, text: await response.text() };
}

/** One value of a Prometheus text exposition, summed over the series whose labels include `labels`. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Waits until the app on the public `port` answers as revision `hash`. */
export async function served(port: number, hash: string, timeout = 60_000): Promise<void> {
  await waitFor(
    async () => {
      const { status, text } = await getText(`http://127.0.0.1:${port}/`);
      return status === 200 && (JSON.parse(text) as { revision: string }).revision === hash;
    },
    { timeout, interval: 50, message: `${hash.slice(0, 7)} served on the public port` },
  );
}
