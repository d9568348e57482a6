// Helpers of the trigger suites: a git-sync serving the signed trigger, and signed deliveries.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@gitpaas/test-utils';
import type { GitSyncOptions, Logger } from '../../src/index.js';
import { signBody } from '../../src/signature.js';
import { makeSync, syncFixture } from './sync.js';

/** A git-sync serving POST /sync on 127.0.0.1 with `secret` and a period that never comes, after its first publish. */
export async function syncWithTrigger(
  secret: string,
  extra: Partial<GitSyncOptions> & { logger?: Logger } = {},
) {
  const { dir, remote, root } = await syncFixture();
  const triggerSecretFile = join(dir, 'trigger-secret');
  await writeFile(triggerSecretFile, `${secret}\n`);
  const gs = makeSync({
    repo: remote.url,
    root,
    ref: 'main',
    period: 3_600_000,
    httpBind: '127.0.0.1:0',
    httpMetrics: true,
    triggerSecretFile,
    ...extra,
  });
  await gs.start();
  await waitFor(async () => gs.status().publishedHash === (await remote.hash()), {
    message: 'the first publish',
  });
  const port = gs.httpAddress()!.port;
  return { gs, remote, dir, port, url: `http://127.0.0.1:${port}/sync` };
}

export interface PushAnswer {
  status: number;
  /** The body that was sent (and signed). */
  body: string;
  json: { outcome: string; detail?: string };
}

/** POSTs a GitHub push notification for `ref`, signed with `secret`, plus any `headers`. */
export async function signedPush(
  url: string,
  secret: string,
  { ref = 'refs/heads/main', headers = {} }: { ref?: string; headers?: Record<string, string> } = {},
): Promise<PushAnswer> {
  const body = JSON.stringify({ ref, after: 'abc', repository: { default_branch: 'main' } });
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-hub-signature-256': signBody(body, secret),
      ...headers,
    },
  });
  return { status: response.status, body, json: (await response.json()) as PushAnswer['json'] };
}
