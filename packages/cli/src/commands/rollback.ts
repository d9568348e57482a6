import { formatDuration, waitFor } from '@gitpaas/core';
import type { DashboardState, ReleaseView } from '@gitpaas/reloader';
import { Api, readSecret } from '../api.js';
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { commandTable, serverUrlOption } from '../flags.js';
import type { Stream } from '../terminal.js';
import { DEFAULT_HTTP_BIND } from '../up-options.js';

/** A rollback may check out or fetch the revision before git-sync answers. */
const ACTION_TIMEOUT_MS = 600_000;
const POLL_MS = 250;

export const rollbackOptions = commandTable([
  serverUrlOption(DEFAULT_HTTP_BIND),
  {
    name: 'clear',
    type: 'bool',
    help: 'End the rollback: follow the ref again, so its newest revision goes live',
  },
  {
    name: 'secret-file',
    type: 'string',
    valueName: '<file>',
    help: "git-sync's --trigger-secret-file, to sign the request when --url is not on this host",
  },
  {
    name: 'timeout',
    type: 'duration',
    default: 300_000,
    min: 0,
    help: 'How long to wait for the revision to go live; 0 returns once it is published',
  },
  {
    name: 'read-timeout',
    type: 'duration',
    default: 5000,
    min: 1,
    help: 'Give up when the server does not answer a read in time',
  },
]);

const short = (hash: string | null | undefined) => (hash ? hash.slice(0, 7) : '-');

/** The previous release that went live and did not fail, other than the live revision. */
function previousGood(state: DashboardState): ReleaseView | undefined {
  const live = state.live?.revision;
  return state.releases.find(
    (release) =>
      release.revision &&
      release.revision !== live &&
      release.times.switchedAt &&
      release.outcome !== 'failed',
  );
}

/** What to ask git-sync for: a release's revision (`#12`), a hash or prefix, or the previous good one. */
function target(given: string | undefined, state: DashboardState): { revision: string; label: string } {
  const describe = (release: ReleaseView) =>
    `${short(release.revision)}${release.commit ? ` "${release.commit.subject}"` : ''} (release #${release.id})`;
  if (given === undefined) {
    const previous = previousGood(state);
    if (!previous?.revision) {
      throw new CliError(
        'E_ROLLBACK',
        'no earlier release went live here: name the revision, e.g. gitpaas rollback 3f2a9c1',
      );
    }
    return { revision: previous.revision, label: describe(previous) };
  }
  const id = /^#(\d+)$/.exec(given)?.[1];
  if (id) {
    const release = state.releases.find((candidate) => candidate.id === Number(id));
    if (!release?.revision) {
      throw new CliError(
        'E_ROLLBACK',
        `release ${given} is not among the last ${state.releases.length} releases, or has no revision`,
      );
    }
    return { revision: release.revision, label: describe(release) };
  }
  if (!/^[0-9a-f]{4,64}$/i.test(given)) {
    throw new CliError(
      'E_USAGE',
      `"${given}" is not a revision: give a commit hash (or a prefix), or #<release>`,
    );
  }
  const wanted = given.toLowerCase();
  const sync = state.sync as { revisions?: Array<{ hash: string }>; kept?: Array<{ hash: string }> } | null;
  const known = new Set(
    [
      ...state.releases.map((release) => release.revision),
      ...(sync?.revisions ?? []).map((revision) => revision.hash),
      ...(sync?.kept ?? []).map((revision) => revision.hash),
    ].filter((hash): hash is string => Boolean(hash?.startsWith(wanted))),
  );
  const revision = known.size === 1 ? [...known][0]! : wanted;
  const release = state.releases.find((candidate) => candidate.revision === revision);
  return { revision, label: release ? describe(release) : short(revision) };
}

/** Waits until `hash` serves in a release newer than `after`, or its release fails. */
async function waitLive(api: Api, hash: string, after: number, timeoutMs: number, signal: AbortSignal) {
  let outcome: { live: ReleaseView } | { failed: ReleaseView };
  try {
    outcome = await waitFor(
      async () => {
        const state = await api.state();
        const mine = state.releases.filter((release) => release.id > after && release.revision === hash);
        const failed = mine.find((release) => release.outcome === 'failed');
        if (failed) return { failed };
        const live = mine.find((release) => release.outcome === 'live');
        if (live && state.live?.revision === hash) return { live };
        // Rolled back to what already serves: nothing new starts.
        const current = state.releases.find((release) => release.id === state.live?.release);
        if (state.live?.revision === hash && current && current.id <= after) return { live: current };
        return null;
      },
      { timeout: timeoutMs, interval: POLL_MS, signal, message: `${short(hash)} to go live` },
    );
  } catch (error) {
    if (signal.aborted) throw error;
    throw new CliError(
      'E_NOT_LIVE',
      `${short(hash)} is published but not live after ${formatDuration(timeoutMs)}: see \`gitpaas logs\` and the dashboard`,
      { cause: error },
    );
  }
  if ('failed' in outcome) {
    throw new CliError(
      'E_NOT_LIVE',
      `release #${outcome.failed.id} of ${short(hash)} failed (${outcome.failed.reason ?? 'see `gitpaas logs`'}); the release before keeps serving, and the rollback stays pinned: \`gitpaas rollback --clear\` follows the ref again`,
    );
  }
  return outcome.live;
}

async function clearPin(
  api: Api,
  state: DashboardState,
  timeoutMs: number,
  out: Stream,
  signal: AbortSignal,
) {
  const pinned = (state.sync?.pinned as { hash?: string } | null | undefined)?.hash;
  const answer = await api.send('DELETE', 'rollback');
  if (answer.status >= 300)
    throw new CliError('E_ROLLBACK', answer.doc.detail ?? `DELETE /rollback answered ${answer.status}`);
  if (answer.doc.outcome === 'not-pinned') {
    out.write('nothing was rolled back: the ref is followed already\n');
    return 0;
  }
  out.write(
    `rollback to ${short(pinned)} cleared: following ${String(state.sync?.ref ?? 'the ref')} again\n`,
  );
  if (timeoutMs === 0) return 0;
  const after = Math.max(0, ...state.releases.map((release) => release.id));
  const published = await waitFor(
    async () => {
      const now = await api.state();
      const hash = now.sync?.publishedHash;
      return typeof hash === 'string' && hash !== pinned ? hash : null;
    },
    { timeout: timeoutMs, interval: POLL_MS, signal, message: 'the ref to be published' },
  ).catch(() => null);
  if (!published) {
    out.write(`the ref still points at ${short(pinned)}, which stays live\n`);
    return 0;
  }
  const live = await waitLive(api, published, after, timeoutMs, signal);
  out.write(`${short(published)} is live (release #${live.id})\n`);
  return 0;
}

export const rollbackCommand = defineCommand({
  name: 'rollback',
  options: rollbackOptions,
  positionals: 1,
  help: {
    usage: 'gitpaas rollback [REV] [--url <url>] [--clear]',
    description:
      "Asks a running `gitpaas up` (or a reloader with --sync-url) to publish REV instead of the ref's\n" +
      'revision: a commit hash or prefix, or #<release>; by default the previous release that went live.\n' +
      'It goes live through the same zero-downtime handoff as a push, and stays pinned — across polls\n' +
      'and restarts — until the ref moves (a new push) or `gitpaas rollback --clear`. A revision git-sync\n' +
      'no longer keeps is fetched by hash. Waits until it is live and exits non-zero if it fails.',
    examples: [
      'gitpaas rollback',
      'gitpaas rollback 3f2a9c1',
      'gitpaas rollback "#12" --url http://10.0.0.5:9090 --secret-file ./trigger-secret',
      'gitpaas rollback --clear',
    ],
  },
  async run(values, parsed, context) {
    const secret = values.secretFile ? await readSecret(values.secretFile) : null;
    const api = new Api(values.url, { readMs: values.readTimeout, actionMs: ACTION_TIMEOUT_MS }, secret);
    const state = await api.state();
    if (!state.actions.rollback) {
      throw new CliError(
        'E_ROLLBACK',
        `${api.base.origin} has no git-sync to roll back with: point --url at the --http-bind of \`gitpaas up\`, or give the reloader --sync-url`,
      );
    }
    const { out } = context.terminal;
    if (values.clear) {
      if (parsed.positionals.length) throw new CliError('E_USAGE', '--clear takes no revision');
      return clearPin(api, state, values.timeout, out, context.signal);
    }
    const { revision, label } = target(parsed.positionals[0], state);
    out.write(`rolling back to ${label} from ${short(state.live?.revision)}…\n`);
    const after = Math.max(0, ...state.releases.map((release) => release.id));
    const answer = await api.send('POST', 'rollback', { revision });
    if (answer.status !== 200 || !answer.doc.hash) {
      throw new CliError('E_ROLLBACK', answer.doc.detail ?? `POST /rollback answered ${answer.status}`);
    }
    const hash = answer.doc.hash;
    out.write(
      `${short(hash)} is published and pinned until the next push (or \`gitpaas rollback --clear\`)\n`,
    );
    if (values.timeout === 0) return 0;
    const live = await waitLive(api, hash, after, values.timeout, context.signal);
    const took = live.phases.totalMs === undefined ? '' : `, ready in ${formatDuration(live.phases.totalMs)}`;
    out.write(`${short(hash)} is live (release #${live.id}${took})\n`);
    return 0;
  },
});
