import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'vitest';
import { type Load, type LoadOptions, type LoadResult, startLoad } from './load.js';

/** Where each case writes its record; the run's teardown renders them (results/ is not committed). */
export const CASES_DIR = fileURLToPath(new URL('../results/cases/', import.meta.url));

export interface Counts {
  /** Faults injected: kills, outages, stalls, rewritten refs, full disks, bad apps, pushes… */
  faults: number;
  /** Requests sent to the public port (the steady load) and to the bins' HTTP servers. */
  requests: number;
  failedRequests: number;
  /** Hostile or malformed inputs tried: flags, refs, URLs, links, roots, trigger requests. */
  badInputs: number;
  /** Bytes of planted secrets found in any output channel. */
  secretBytes: number;
}

export interface CaseResult {
  group: string;
  title: string;
  expectation: string;
  state: 'passed' | 'failed' | 'skipped';
  durationMs: number;
  counts: Counts;
  observed: string[];
  error: string | null;
}

/**
 * One case: what it counts while it runs (written when the test finishes, passed or not) and what
 * it must clean up then — its own, so cases can run concurrently in one file.
 */
export class FaultCase {
  readonly counts: Counts = { faults: 0, requests: 0, failedRequests: 0, badInputs: 0, secretBytes: 0 };
  readonly observed: string[] = [];
  readonly cleanups: Array<() => unknown> = [];

  /** Runs `cleanup` when the case ends (last registered, first run). */
  defer(cleanup: () => unknown): void {
    this.cleanups.push(cleanup);
  }

  /** A temp dir of this case, removed when it ends. */
  async tempDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `gitpaas-faults-${prefix}-`));
    this.defer(() => rm(dir, { recursive: true, force: true, maxRetries: 3 }));
    return dir;
  }

  fault(n = 1): void {
    this.counts.faults += n;
  }

  badInput(n = 1): void {
    this.counts.badInputs += n;
  }

  /** Adds requests sent and failed. */
  requests(load: Pick<LoadResult, 'sent' | 'failed'>): void {
    this.counts.requests += load.sent;
    this.counts.failedRequests += load.failed;
  }

  /** Starts the steady load on `port`; its totals are counted when it stops (at the latest when the case ends). */
  load(port: number, options?: LoadOptions): Load {
    const load = startLoad(port, options);
    let counted: Promise<LoadResult> | undefined;
    const stop = () => {
      counted ??= load.stop().then((result) => {
        this.requests(result);
        return result;
      });
      return counted;
    };
    this.defer(stop);
    return { ...load, stop };
  }

  secretBytes(bytes: number): void {
    this.counts.secretBytes += bytes;
  }

  /** A measured fact for the report (e.g. "published 1.2 s after the remote came back"). */
  observe(text: string): void {
    this.observed.push(text);
  }
}

/**
 * Opens the record of the running test: `group` is its row group in docs/reliability.md and
 * `expectation` what it checks, in words.
 */
export function faultCase(context: TestContext, group: string, expectation: string): FaultCase {
  const record = new FaultCase();
  const startedAt = Date.now();
  context.onTestFinished(async ({ task }) => {
    const failures: unknown[] = [];
    for (const cleanup of record.cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        failures.push(error);
      }
    }
    const state = task.result?.state;
    const result: CaseResult = {
      group,
      title: task.name,
      expectation,
      state: state === 'pass' ? 'passed' : state === 'skip' ? 'skipped' : 'failed',
      durationMs: Date.now() - startedAt,
      counts: record.counts,
      observed: record.observed,
      error: task.result?.errors?.[0]?.message?.split('\n')[0] ?? null,
    };
    mkdirSync(CASES_DIR, { recursive: true });
    const file = `${group}--${task.name}`.replace(/[^a-z0-9]+/gi, '-').slice(0, 120);
    writeFileSync(join(CASES_DIR, `${file}.json`), `${JSON.stringify(result, null, 2)}\n`);
    if (failures.length) throw failures[0];
  });
  return record;
}
