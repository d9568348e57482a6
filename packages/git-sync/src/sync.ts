import type { GitGc } from './config.js';
import { fetchRef, fetchShortHash } from './fetch.js';
import type { GitContext } from './git.js';
import { type Layout, worktreePath } from './layout.js';
import { publish, readPublished } from './publish.js';
import { haveCommit, type RemoteRef, resolveRemote } from './remote.js';
import { ensureRepo } from './repo.js';
import { cleanup, retire } from './retention.js';
import type { Reshape } from './shape.js';
import { checkPublished, resetPublished } from './verify.js';
import { createWorktree, reshapeSubmodules, type WorktreeOptions } from './worktree.js';

export interface SyncConfig extends WorktreeOptions {
  repo: string;
  ref: string;
  layout: Layout;
  staleWorktreeTimeout: number;
  gitGc: GitGc;
  /** What a restart with another --depth or --submodules must redo (nothing after the first success). */
  reshape: Reshape;
}

/** What a pre-publish gate says about a ready worktree. */
export type GateDecision = { ok: true } | { ok: false; reason: string; output: string };

/**
 * The replaceable steps between "the remote moved" and "the link flipped". The defaults are the
 * plain pipeline; a gate (run a command in the new tree before publishing) or a recycler (reuse a
 * retired tree instead of a fresh checkout) plug in here.
 */
export interface SyncSteps {
  /** Makes a complete worktree for `hash` and returns its directory. */
  makeWorktree(ctx: GitContext, config: SyncConfig, hash: string): Promise<string>;
  /** Decides whether a ready worktree may be published. */
  gate(
    ctx: GitContext,
    config: SyncConfig,
    e: { hash: string; worktree: string; previous: string | null },
  ): Promise<GateDecision>;
  /** Called after the link flipped away from `previous`; the default starts its stale timer. */
  retired(ctx: GitContext, config: SyncConfig, previous: string): Promise<void>;
  /** Takes a worktree retention no longer needs (true), or leaves it to be deleted (false). */
  release(ctx: GitContext, config: SyncConfig, dir: string): Promise<boolean>;
  /** A hash not to check out again (the gate rejected it and the ref has not moved since). */
  held(hash: string): boolean;
  /** A revision is about to be fetched: what does not depend on which one may start meanwhile. */
  prepare(ctx: GitContext, config: SyncConfig): void;
  /** The sync is over, whatever its outcome: waits for what prepare() started. */
  settle(): Promise<void>;
}

export const defaultSteps: SyncSteps = {
  makeWorktree: (ctx, config, hash) => createWorktree(ctx, config.layout, hash, config),
  gate: async () => ({ ok: true }),
  retired: (_ctx, config, previous) => retire(config.layout, previous),
  release: async () => false,
  held: () => false,
  prepare: () => {},
  settle: async () => {},
};

export type SyncOutcome =
  /** `removed`: worktrees the clean-up took away (the revisions on disk changed all the same). */
  | { kind: 'noop'; hash: string; removed: number }
  | { kind: 'held'; hash: string }
  | { kind: 'published'; hash: string; worktree: string; previous: string | null }
  | { kind: 'rejected'; hash: string; worktree: string; reason: string; output: string };

/** Counters the pipeline reports into (metrics live elsewhere). */
export interface SyncProbe {
  lsRemote(): void;
  fetched(): void;
  /** The published worktree had to be repaired. */
  repaired(how: 'reset' | 'recreated'): void;
}

/**
 * One pass: ask the remote where --ref points, fetch only when it moved, check it out,
 * gate it, flip the link, clean up; when the ref has not moved, verify (and repair) the published
 * worktree instead. Every step before the flip can fail or be killed without touching what is
 * published.
 */
export async function syncOnce(
  ctx: GitContext,
  config: SyncConfig,
  steps: SyncSteps,
  probe: SyncProbe,
  /** The sync was asked for (a push was announced): the ref has most likely moved. */
  announced = false,
): Promise<SyncOutcome> {
  try {
    return await sync(ctx, config, steps, probe, announced);
  } finally {
    await steps.settle();
  }
}

async function sync(
  ctx: GitContext,
  config: SyncConfig,
  steps: SyncSteps,
  probe: SyncProbe,
  announced: boolean,
): Promise<SyncOutcome> {
  const { layout } = config;
  await ensureRepo(ctx, layout, false);
  const published = await readPublished(layout);
  // Asking the remote first costs a round trip that only an idle poll saves: a sync a push
  // announced, or the first one into an empty root, fetches the ref at once.
  const byName = (announced || published === null) && fetchesByName(config.ref);
  if (byName) steps.prepare(ctx, config);
  const direct = byName ? await fetchDirect(ctx, config, probe) : null;
  let hash: string;
  let remote: RemoteRef | null = null;
  if (direct !== null) hash = direct;
  else {
    const asked = await resolveRemote(ctx, layout.root, config.repo, config.ref);
    remote = asked;
    if (asked.kind === 'ref') probe.lsRemote();
    // A revision the gate rejected is not fetched, checked out or gated again until the ref moves.
    if (asked.kind !== 'short' && asked.hash !== published && steps.held(asked.hash)) {
      return { kind: 'held', hash: asked.hash };
    }
    // Idle polls stop here: the remote still points at what is published.
    const unchanged = !config.reshape.refetch && asked.kind !== 'short' && asked.hash === published;
    if (!unchanged && !byName) steps.prepare(ctx, config);
    hash = unchanged ? asked.hash : await commitFor(ctx, config, asked, probe);
  }

  const release = (dir: string) => steps.release(ctx, config, dir);
  if (hash === published) {
    // A fetch by name has just brought the commit; an idle poll's repair may need to fetch it.
    const known = remote;
    const repaired = await repairPublished(ctx, config, steps, hash, probe, async () =>
      known ? commitFor(ctx, config, known, probe) : hash,
    );
    if (!repaired && config.reshape.resubmodule) {
      ctx.logger.info('redoing the submodules of the published worktree for --submodules', {
        hash,
        submodules: config.submodules,
      });
      await reshapeSubmodules(ctx, worktreePath(layout, hash), config);
    }
    const removed = await cleanup(ctx, layout, hash, config.staleWorktreeTimeout, config.gitGc, release);
    return repaired
      ? { kind: 'published', hash, worktree: repaired, previous: hash }
      : { kind: 'noop', hash, removed };
  }
  if (steps.held(hash)) return { kind: 'held', hash };
  const worktree = await steps.makeWorktree(ctx, config, hash);
  const decision = await steps.gate(ctx, config, { hash, worktree, previous: published });
  if (!decision.ok)
    return { kind: 'rejected', hash, worktree, reason: decision.reason, output: decision.output };
  await publish(layout, hash);
  if (published && published !== hash) await steps.retired(ctx, config, published);
  await cleanup(ctx, layout, hash, config.staleWorktreeTimeout, config.gitGc, release);
  return { kind: 'published', hash, worktree, previous: published };
}

/**
 * Verifies the published worktree and repairs what changed it, as kubernetes/git-sync does: a
 * changed one is reset in place, a missing one checked out again (no gate: it was published
 * already) and the link set again. Returns the directory when it had to be made anew.
 */
async function repairPublished(
  ctx: GitContext,
  config: SyncConfig,
  steps: SyncSteps,
  hash: string,
  probe: SyncProbe,
  fetchCommit: () => Promise<string>,
): Promise<string | null> {
  const state = await checkPublished(ctx, config.layout, hash);
  if (state.kind === 'intact') return null;
  if (state.kind === 'changed') {
    ctx.logger.warn('the published worktree was changed; resetting it to the published revision', {
      hash,
      change: state.change,
    });
    await resetPublished(ctx, config.layout, hash);
    probe.repaired('reset');
    return null;
  }
  ctx.logger.warn('the published worktree is missing; checking it out again', { hash });
  // A link that outlived its root (on another volume, or root cleared) names a commit never fetched here.
  if (!(await haveCommit(ctx, config.layout.root, hash))) await fetchCommit();
  const worktree = await steps.makeWorktree(ctx, config, hash);
  await publish(config.layout, hash);
  probe.repaired('recreated');
  return worktree;
}

async function commitFor(
  ctx: GitContext,
  config: SyncConfig,
  remote: RemoteRef,
  probe: SyncProbe,
): Promise<string> {
  const fetchOptions = fetchOptionsOf(config);
  const { refetch } = config.reshape;
  if (remote.kind === 'short')
    return fetchShortHash(ctx, fetchOptions, remote.prefix, probe.fetched, refetch);
  // A moved ref is fetched without asking first whether the commit is here (it seldom is, and
  // that costs a git process every update); git sends only what the published commit lacks.
  const local =
    remote.kind === 'hash' && !refetch && (await haveCommit(ctx, config.layout.root, remote.hash));
  if (local) return remote.hash;
  probe.fetched();
  return fetchRef(ctx, fetchOptions, remote.kind === 'ref' ? remote.name : remote.hash, remote.hash);
}

const fetchOptionsOf = (config: SyncConfig) => ({
  repo: config.repo,
  depth: config.depth,
  root: config.layout.root,
});

/** A ref fetch can name: not a hash (nothing to fetch by name), nor what may be an abbreviated one. */
function fetchesByName(ref: string): boolean {
  return !/^[0-9a-f]{4,64}$/i.test(ref);
}

/**
 * Fetches --ref without asking the remote first; the commit, or null when that failed (asking
 * first then says what is wrong as a poll would: no such ref, credentials, host).
 */
async function fetchDirect(ctx: GitContext, config: SyncConfig, probe: SyncProbe): Promise<string | null> {
  probe.fetched();
  try {
    return await fetchRef(ctx, fetchOptionsOf(config), config.ref, null);
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    ctx.logger.debug('fetching --ref by name failed; asking the remote for it', {
      error: (error as Error).message,
    });
    return null;
  }
}
