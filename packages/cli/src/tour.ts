import { performance } from 'node:perf_hooks';
import { formatDuration, waitFor } from '@gitpaas/core';
import type { Release } from '@gitpaas/reloader';
import { type DemoRepo, pushChange, pushRevert } from './demo-repo.js';
import { CliError } from './errors.js';
import type { Stream } from './terminal.js';
import type { Up } from './up.js';

export interface TourOptions {
  up: Up;
  repo: DemoRepo;
  /** The public URL of the app (`http://127.0.0.1:8080`). */
  appUrl: string;
  /** How long a revision may take to get ready (the broken one takes exactly this). */
  readyTimeoutMs: number;
  out: Stream;
  signal: AbortSignal;
}

interface Served {
  revision: string;
  message: string;
}

/** What the app answers on /version right now, or undefined while nothing answers. */
export async function served(appUrl: string): Promise<Served | undefined> {
  try {
    const response = await fetch(`${appUrl}/version`, { signal: AbortSignal.timeout(2000) });
    return response.ok ? ((await response.json()) as Served) : undefined;
  } catch {
    return undefined;
  }
}

const LIVE_TIMEOUT_MS = 120_000;

/** Triggers a sync the way a forge webhook would (loopback callers need no secret). */
async function trigger(up: Up): Promise<void> {
  const response = up.url
    ? await fetch(`${up.url}/sync`, { method: 'POST', signal: AbortSignal.timeout(5000) }).catch(
        () => undefined,
      )
    : undefined;
  // Without the HTTP trigger (server off or not available), ask the sync loop directly.
  if (!response?.ok) await up.gitSync.syncNow('demo tour').catch(() => {});
}

async function waitServed(options: TourOptions, hash: string): Promise<void> {
  await waitFor(async () => (await served(options.appUrl))?.revision === hash, {
    timeout: LIVE_TIMEOUT_MS,
    signal: options.signal,
    message: `${hash.slice(0, 7)} to be served`,
  });
}

function releaseOf(up: Up, hash: string): Release | undefined {
  return up.reloader.status().releases.find((release) => release.revision === hash);
}

/**
 * The demo's tour: a change goes live (push-to-live measured on the public port), a broken
 * revision is kept out while the old one keeps serving, then the break is reverted.
 */
export async function tour(options: TourOptions): Promise<void> {
  const { up, repo, out, appUrl } = options;
  const c = out.colors;
  const step = (n: number, text: string) => out.write(`\n${c.bold(`${n}.`)} ${text}\n`);
  const ok = (text: string) => out.write(`   ${c.green('✔')} ${text}\n`);

  step(1, 'Change message.txt, commit and push');
  const message = `Hello again! This text was pushed at ${new Date().toTimeString().slice(0, 8)}.`;
  const changed = await pushChange(repo, { 'message.txt': `${message}\n` }, 'Change the message');
  const pushedAt = performance.now();
  out.write(`   pushed ${c.cyan(changed.slice(0, 7))}; POST ${up.url}/sync (what a forge webhook does)\n`);
  await trigger(up);
  await waitServed(options, changed);
  const live = performance.now() - pushedAt;
  ok(
    `${appUrl} serves ${c.cyan(changed.slice(0, 7))} — push to live in ${c.bold(formatDuration(Math.round(live)))}`,
  );

  step(2, 'Push a broken revision (its /healthz answers 503)');
  const broken = await pushChange(
    repo,
    { 'server.js': (text) => text.replace('const healthy = true;', 'const healthy = false;') },
    'Break the health check',
  );
  out.write(
    `   pushed ${c.red(broken.slice(0, 7))}; the new process must answer /healthz within ${formatDuration(options.readyTimeoutMs)}\n`,
  );
  await trigger(up);
  const failed = await waitFor(
    () => {
      const release = releaseOf(up, broken);
      return release?.outcome === 'failed' ? release : undefined;
    },
    {
      timeout: options.readyTimeoutMs + LIVE_TIMEOUT_MS,
      signal: options.signal,
      message: 'the broken release to fail',
    },
  );
  ok(`release #${failed.id} marked ${c.red('failed')}: ${failed.reason ?? 'not ready'}`);
  const still = await served(appUrl);
  if (still?.revision !== changed) {
    throw new CliError(
      'E_DEMO',
      `expected ${changed.slice(0, 7)} to keep serving, found ${still?.revision ?? 'nothing'}`,
    );
  }
  ok(`${appUrl} still serves ${c.cyan(changed.slice(0, 7))}: no request went to the broken one`);

  step(3, 'Revert the broken commit and push');
  const reverted = await pushRevert(repo);
  const revertedAt = performance.now();
  await trigger(up);
  await waitServed(options, reverted);
  ok(
    `${appUrl} serves ${c.cyan(reverted.slice(0, 7))} — push to live in ${c.bold(formatDuration(Math.round(performance.now() - revertedAt)))}`,
  );
}
