import { type CommitInfo, type Commits, commitUrl } from './commit-info.js';
import type { Release } from './ledger.js';
import type { SyncStatus } from './sync-source.js';
import type { ReloaderStatus } from './types.js';

/** How many releases the dashboard shows (the timeline and the table). */
export const DASHBOARD_RELEASES = 50;

/** How long each step of a release took, in ms; absent for steps it never reached. */
export interface Phases {
  /** `--build`. */
  buildMs?: number;
  /** From the build's end (or detection) until the process was spawned: waiting for a port, or for the release before it. */
  startMs?: number;
  /** From spawn until the readiness check passed. */
  readyMs?: number;
  /** From ready until traffic moved to it. */
  switchMs?: number;
  /** From detection until it went live (or failed, or was superseded). */
  totalMs?: number;
}

export interface ReleaseView extends Release {
  phases: Phases;
  commit: CommitInfo | null;
  /** The commit's page on a known forge. */
  url: string | null;
}

/** GET /api/state: everything the dashboard (and `gitpaas rollback`) reads, in one document. */
export interface DashboardState {
  now: string;
  mode: ReloaderStatus['mode'];
  live: {
    release: number;
    revision: string | null;
    since: string | null;
    uptimeMs: number;
    pid: number | null;
    commit: CommitInfo | null;
    url: string | null;
  } | null;
  /** git-sync's status (its `pinned` says what a rollback holds); null without one. */
  sync: SyncStatus | null;
  /** What this server can do: trigger a sync and roll back (both need git-sync). */
  actions: { sync: boolean; rollback: boolean };
  /** Newest first. */
  releases: ReleaseView[];
}

const at = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);
const span = (ms: number) => (Number.isFinite(ms) ? Math.max(0, Math.round(ms)) : undefined);

/** Each step's duration, from the ledger's times. */
export function phasesOf({ times }: Release): Phases {
  const detected = at(times.detected);
  const started = at(times.startedAt);
  const switched = at(times.switchedAt);
  const ready = started + (times.readyMs ?? Number.NaN);
  const phases: Phases = {
    buildMs: times.buildMs,
    startMs: span(started - detected - (times.buildMs ?? 0)),
    readyMs: times.readyMs,
    switchMs: span(switched - ready),
    totalMs: span((Number.isFinite(switched) ? switched : at(times.endedAt)) - detected),
  };
  return Object.fromEntries(Object.entries(phases).filter(([, ms]) => ms !== undefined));
}

/** Builds the document from the reloader's status, git-sync's, and the commits behind the releases. */
export async function dashboardState(
  status: ReloaderStatus,
  releases: readonly Release[],
  sync: SyncStatus | null,
  hasSync: boolean,
  commits: Commits,
): Promise<DashboardState> {
  const repo = typeof sync?.repo === 'string' ? sync.repo : undefined;
  const views = await Promise.all(
    releases.slice(0, DASHBOARD_RELEASES).map(async (release) => ({
      ...release,
      phases: phasesOf(release),
      commit: await commits.of(release.revision, release.dir),
      url: commitUrl(repo, release.revision),
    })),
  );
  const current = status.current;
  const view = current ? views.find((release) => release.id === current.id) : undefined;
  return {
    now: new Date().toISOString(),
    mode: status.mode,
    live: current
      ? {
          release: current.id,
          revision: current.revision,
          since: current.times.switchedAt ?? null,
          uptimeMs: status.uptimeMs,
          pid: status.pid,
          commit: view?.commit ?? (await commits.of(current.revision, current.dir)),
          url: commitUrl(repo, current.revision),
        }
      : null,
    sync,
    actions: { sync: hasSync, rollback: hasSync },
    releases: views,
  };
}
