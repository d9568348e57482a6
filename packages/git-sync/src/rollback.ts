import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Emitter, Logger } from '@gitpaas/core';
import { GitSyncError } from './errors.js';
import type { GitSyncEvents } from './events.js';
import { type GitContext, runGit } from './git.js';
import { HASH, type Layout } from './layout.js';
import { readPublished } from './publish.js';
import { resolveRemote } from './remote.js';
import { listRevisions } from './retention.js';
import type { GitSyncStatus } from './status.js';
import type { PipelineSteps } from './steps.js';
import { type SyncConfig, type SyncOutcome, type SyncProbe, syncOnce } from './sync.js';

/** A rollback in effect: a revision published instead of the ref's, until the ref moves. */
export interface Pin {
  /** The revision published instead of the ref's. */
  hash: string;
  /** What was published when the rollback was asked for. */
  from: string | null;
  /** Where the ref pointed when the rollback was asked for (null until the remote answers); a push elsewhere ends the pin. */
  refHash: string | null;
  at: string;
}

/** What a rollback did: the revision now published and the one it replaced. */
export interface RollbackResult {
  hash: string;
  from: string | null;
}

/** A rollback asked for, waiting for the sync loop to run it between syncs. */
export interface RollbackRequest {
  /** A full hash, an unambiguous prefix of a revision kept here, or undefined for the previous one. */
  revision: string | undefined;
  resolve(result: RollbackResult): void;
  reject(error: GitSyncError): void;
}

export const PIN_FILE = 'gitpaas-pin.json';

/** A hash, or a prefix of one long enough to mean something. */
export const REVISION = /^[0-9a-f]{4,64}$/i;

interface RollbacksOptions {
  layout: Layout;
  /** Updated in place: `pinned` is what status() shows. */
  state: GitSyncStatus;
  events: Pick<Emitter<GitSyncEvents>, 'emit'>;
  logger: Logger;
}

/**
 * Rollback without a push: the revision asked for is published through the normal pipeline (a
 * kept worktree, a checkout of a commit that is here, or a fetch by hash) and pinned. The pin is
 * kept in the repository's git dir, so it survives a restart, and holds while ls-remote shows
 * the ref where it was; a push (the ref moving anywhere else) or clear() ends it.
 */
export class Rollbacks {
  private waiting: RollbackRequest | null = null;
  private readonly file: string;

  constructor(private readonly o: RollbacksOptions) {
    this.file = join(o.layout.gitDir, PIN_FILE);
  }

  get pin(): Pin | null {
    return this.o.state.pinned;
  }

  /** Whether a request waits for the loop. */
  get queued(): boolean {
    return this.waiting !== null;
  }

  /** Queues a rollback for the loop (a newer request replaces one still waiting); settles once it ran. */
  request(revision: string | undefined): Promise<RollbackResult> {
    this.waiting?.reject(new GitSyncError('E_ROLLBACK', 'a newer rollback request replaced this one'));
    return new Promise((resolve, reject) => {
      this.waiting = { revision, resolve, reject };
    });
  }

  /** The request to run now, if any. */
  next(): RollbackRequest | null {
    const request = this.waiting;
    this.waiting = null;
    return request;
  }

  /** Fails a request that will never run (stop()). */
  abandon(error: GitSyncError): void {
    this.next()?.reject(error);
  }

  /** Ends the pin (the next sync follows the ref again); false when there was none. */
  async clear(): Promise<boolean> {
    const pin = this.pin;
    if (!pin) return false;
    await this.keep(null);
    this.o.logger.info('rollback cleared; following the ref again', { hash: pin.hash });
    this.o.events.emit('unpin', { hash: pin.hash, reason: 'cleared' });
    return true;
  }

  /** Reads the pin a previous run kept (start-up). */
  async restore(): Promise<void> {
    let kept: Partial<Pin>;
    try {
      kept = JSON.parse(await readFile(this.file, 'utf8'));
    } catch {
      return;
    }
    const { hash, from, refHash, at } = kept;
    if (typeof hash !== 'string' || !HASH.test(hash)) return this.keep(null);
    this.o.state.pinned = {
      hash,
      from: typeof from === 'string' ? from : null,
      refHash: typeof refHash === 'string' ? refHash : null,
      at: typeof at === 'string' ? at : new Date().toISOString(),
    };
    this.o.logger.info('rolled back by an earlier run: keeping it until the ref moves', {
      hash,
      refHash: this.o.state.pinned.refHash,
    });
  }

  /**
   * The config of a regular sync: while pinned and the ref has not moved, `ref` is the pinned
   * hash (so syncOnce asks the remote nothing more and publishes nothing new).
   */
  async configFor(ctx: GitContext, config: SyncConfig, probe: SyncProbe): Promise<SyncConfig> {
    const pin = this.pin;
    if (!pin) return config;
    const remote = await resolveRemote(ctx, config.layout.root, config.repo, config.ref);
    if (remote.kind === 'ref') probe.lsRemote();
    // An abbreviated --ref names one commit for good: it never moves.
    const now = remote.kind === 'short' ? pin.refHash : remote.hash;
    if (pin.refHash === null && now) {
      await this.keep({ ...pin, refHash: now });
    } else if (now && now !== pin.refHash) {
      this.o.logger.info('the ref moved: the rollback ends and the new revision goes live', {
        pinned: pin.hash,
        ref: config.ref,
        hash: now,
      });
      await this.keep(null);
      this.o.events.emit('unpin', { hash: pin.hash, reason: 'ref-moved', refHash: now });
      return config;
    }
    return { ...config, ref: pin.hash };
  }

  /** Runs a rollback: resolves the revision, publishes it like any sync, then pins it. */
  async apply(
    ctx: GitContext,
    config: SyncConfig,
    steps: PipelineSteps,
    probe: SyncProbe,
    request: RollbackRequest,
  ): Promise<SyncOutcome> {
    const published = await readPublished(config.layout);
    const hash = await this.resolve(ctx, config, steps, published, request.revision);
    // Where the ref is now, so only a later push ends the pin; unknown while the remote is down.
    const refHash = await resolveRemote(ctx, config.layout.root, config.repo, config.ref).then(
      (remote) => {
        if (remote.kind === 'ref') probe.lsRemote();
        return remote.kind === 'short' ? null : remote.hash;
      },
      (error: Error) => {
        ctx.logger.warn('cannot ask the remote where the ref is; the rollback holds until it can', {
          error: error.message,
        });
        return null;
      },
    );
    let outcome: SyncOutcome;
    try {
      outcome = await syncOnce(ctx, { ...config, ref: hash }, steps, probe);
    } catch (error) {
      if (error instanceof GitSyncError && error.code === 'E_GIT_FETCH') {
        throw new GitSyncError(
          'E_ROLLBACK',
          `cannot roll back to ${hash.slice(0, 12)}: it is not kept here and the remote did not send it by hash (${error.message}); roll back to a kept revision (see GET /status: revisions, kept) or push it to a branch`,
          { cause: error },
        );
      }
      throw error;
    }
    if (outcome.kind === 'rejected' || outcome.kind === 'held') {
      return outcome;
    }
    const from = published === hash ? (this.pin?.from ?? published) : published;
    await this.keep({ hash, from, refHash, at: new Date().toISOString() });
    ctx.logger.info('rolled back', { hash, from, refHash });
    this.o.events.emit('pin', { hash, from });
    return outcome;
  }

  /** Answers a rollback's caller: published and pinned, or kept back by the pre-publish gate. */
  settle(request: RollbackRequest, outcome: SyncOutcome, gateReason: string | undefined): void {
    if (outcome.kind === 'rejected' || outcome.kind === 'held') {
      const reason = outcome.kind === 'rejected' ? outcome.reason : (gateReason ?? 'rejected before');
      request.reject(
        new GitSyncError(
          'E_ROLLBACK_REJECTED',
          `the pre-publish gate rejected ${outcome.hash.slice(0, 12)} (${reason}): the published revision stays`,
        ),
      );
      return;
    }
    request.resolve({ hash: outcome.hash, from: this.pin?.from ?? null });
  }

  /** A full hash for what the caller named; the previous kept revision when they named none. */
  private async resolve(
    ctx: GitContext,
    config: SyncConfig,
    steps: PipelineSteps,
    published: string | null,
    revision: string | undefined,
  ): Promise<string> {
    const kept = [
      ...(await listRevisions(config.layout, published)),
      ...(await steps.kept(ctx, config)),
    ].sort((a, b) => b.since.getTime() - a.since.getTime());
    if (revision === undefined) {
      const previous = kept.find((candidate) => candidate.hash !== published);
      if (!previous) {
        throw new GitSyncError(
          'E_ROLLBACK',
          'no previous revision is kept here: name one by its hash (it is fetched if needed), or set --keep-revisions to keep some',
        );
      }
      return previous.hash;
    }
    const wanted = revision.toLowerCase();
    if (!REVISION.test(wanted)) {
      throw new GitSyncError(
        'E_ROLLBACK',
        `${JSON.stringify(revision)} is not a commit hash or a prefix of one`,
      );
    }
    if (HASH.test(wanted)) return wanted;
    const matches = new Set(
      kept.map((candidate) => candidate.hash).filter((hash) => hash.startsWith(wanted)),
    );
    if (matches.size === 1) return [...matches][0]!;
    const local = await runGit(ctx, ['rev-parse', '--verify', '-q', `${wanted}^{commit}`], {
      cwd: config.layout.root,
      allowFail: true,
    });
    if (matches.size === 0 && local.exitCode === 0) return local.stdout.trim();
    throw new GitSyncError(
      'E_ROLLBACK',
      matches.size > 1
        ? `${wanted} names more than one kept revision: give more of the hash`
        : `${wanted} is not a revision kept here: give the full hash to fetch it from the remote`,
    );
  }

  /** Writes the pin whole (temp + rename) or removes it; status shows it at once. */
  private async keep(pin: Pin | null): Promise<void> {
    this.o.state.pinned = pin;
    try {
      if (!pin) return await rm(this.file, { force: true });
      await writeFile(`${this.file}.tmp`, JSON.stringify(pin));
      await rename(`${this.file}.tmp`, this.file);
    } catch (error) {
      // The pin still holds in this process; only a restart would forget it.
      this.o.logger.warn('cannot keep the rollback for a restart', { error: String(error) });
    }
  }
}
