import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { type Logger, silentLogger } from '@gitpaas/core';
import type { Registry } from 'prom-client';
import { runCommand } from './exechook.js';
import { type HookRunCounter, hookRunCounter } from './hooks.js';
import { metric } from './prom.js';

export interface GateOptions {
  /** `--pre-publish-exechook-command`: run without a shell or arguments. */
  command: string;
  /** `--pre-publish-exechook-timeout`. */
  timeoutMs: number;
  /** Null: nothing can read the metrics, none are kept. */
  registry: Registry | null;
  logger?: Logger;
  redact?: (text: string) => string;
  /** How many trailing output lines a rejection keeps. */
  tailLines?: number;
  /**
   * Where the last rejection is kept, so a restart neither runs the gate again on the same hash
   * nor forgets why it was rejected. It only counts for the same command: a changed gate judges again.
   */
  stateFile?: string;
}

/** Why a hash was not published; shown in status, metrics and the `reject` event. */
export interface Rejection {
  hash: string;
  reason: string;
  /** The last lines the gate printed, redacted. */
  output: string[];
  at: string;
}

export interface GateCheck {
  hash: string;
  worktree: string;
  /** The published hash, exported to the command as `GITSYNC_PREVIOUS_HASH` (empty before the first publish). */
  previousHash?: string | null;
  signal?: AbortSignal;
}

export type GateVerdict = { ok: true } | { ok: false; rejection: Rejection };

export interface Gate {
  /** Runs the command in the new worktree; call it after the worktree is complete and before the link moves. */
  check(input: GateCheck): Promise<GateVerdict>;
  /** True for the hash rejected last: the sync loop skips it until the ref moves on. */
  isRejected(hash: string): boolean;
  /** The last rejection, until a later hash passes. */
  readonly rejected: Rejection | null;
  /** Reads the rejection a previous run kept in `stateFile` (made by the same command). */
  restore(): Promise<void>;
}

/** The pre-publish gate: a non-zero exit or a timeout keeps the hash from being published. */
export function createGate(options: GateOptions): Gate {
  const { command, timeoutMs, registry, logger = silentLogger, redact, tailLines = 20, stateFile } = options;
  const hookRuns: HookRunCounter = hookRunCounter(registry);
  const runs = metric(
    registry,
    (prom, registers) =>
      new prom.Counter({
        name: 'gitpaas_gate_runs_total',
        help: 'Pre-publish gate runs by outcome (passed, rejected)',
        labelNames: ['outcome'],
        registers,
      }),
  );
  const rejectedInfo = metric(
    registry,
    (prom, registers) =>
      new prom.Gauge({
        name: 'gitpaas_gate_rejected',
        help: 'The hash the pre-publish gate rejected last (1 while it is the newest hash seen)',
        labelNames: ['hash'],
        registers,
      }),
  );
  let rejected: Rejection | null = null;

  // Kept whole (temp + rename); losing it only means the gate runs once more.
  const keep = async (rejection: Rejection | null) => {
    if (!stateFile) return;
    try {
      if (!rejection) return await rm(stateFile, { force: true });
      await writeFile(`${stateFile}.tmp`, JSON.stringify({ command, rejection }));
      await rename(`${stateFile}.tmp`, stateFile);
    } catch (error) {
      logger.warn('cannot keep the gate verdict for a restart', { error: String(error) });
    }
  };

  return {
    get rejected() {
      return rejected;
    },
    isRejected: (hash) => rejected?.hash === hash,
    async restore() {
      if (!stateFile) return;
      let kept: { command?: unknown; rejection?: Partial<Rejection> };
      try {
        kept = JSON.parse(await readFile(stateFile, 'utf8'));
      } catch {
        return;
      }
      const r = kept.rejection;
      if (kept.command !== command || typeof r?.hash !== 'string' || typeof r.reason !== 'string') {
        await keep(null);
        return;
      }
      rejected = {
        hash: r.hash,
        reason: r.reason,
        output: Array.isArray(r.output) ? r.output.map(String) : [],
        at: typeof r.at === 'string' ? r.at : now(),
      };
      rejectedInfo.reset();
      rejectedInfo.set({ hash: rejected.hash }, 1);
    },
    async check({ hash, worktree, previousHash, signal }) {
      logger.info('running pre-publish gate', { hash, command });
      const result = await runCommand({
        command,
        cwd: worktree,
        env: { GITSYNC_HASH: hash, GITSYNC_PREVIOUS_HASH: previousHash ?? '' },
        timeoutMs,
        signal,
        tailLines,
        redact,
      });
      if (signal?.aborted) {
        // Stopped mid-check: neither a verdict on the hash nor a metric.
        return { ok: false, rejection: { hash, reason: 'stopped', output: result.output, at: now() } };
      }
      hookRuns.inc({ name: 'pre-publish-exechook', status: result.ok ? 'success' : 'error' });
      if (result.ok) {
        runs.inc({ outcome: 'passed' });
        rejected = null;
        rejectedInfo.reset();
        await keep(null);
        logger.info('pre-publish gate passed', { hash });
        return { ok: true };
      }
      runs.inc({ outcome: 'rejected' });
      rejected = { hash, reason: result.reason ?? 'failed', output: result.output, at: now() };
      rejectedInfo.reset();
      rejectedInfo.set({ hash }, 1);
      await keep(rejected);
      // The sync loop logs the rejection once, with this output.
      logger.debug('pre-publish gate failed', { hash, reason: rejected.reason });
      return { ok: false, rejection: rejected };
    },
  };
}

function now(): string {
  return new Date().toISOString();
}
