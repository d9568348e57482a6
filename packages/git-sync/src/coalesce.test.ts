import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { coalesce } from './coalesce.js';
import { listen, type TestServer, waitFor } from './hooks.test-helpers.js';
import { createTrigger } from './trigger.js';

/** A run that stays in progress until released, so a burst provably lands while it runs. */
function heldRuns() {
  const reasons: string[] = [];
  const state = { finished: 0 };
  let release: () => void = () => {};
  let held = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    reasons,
    get finished() {
      return state.finished;
    },
    run: async (reason: string) => {
      reasons.push(reason);
      await held;
      state.finished++;
    },
    release() {
      release();
      held = Promise.resolve();
    },
  };
}

describe('coalesce', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('runs at most one at a time plus one queued, however many callers', async () => {
    const runs = heldRuns();
    const sync = coalesce(runs.run);
    const calls = Array.from({ length: 100 }, (_, i) => sync(`caller ${i}`));
    await Promise.resolve();
    expect(runs.reasons).toEqual(['caller 0']);
    runs.release();
    await Promise.all(calls);
    expect(runs.reasons).toHaveLength(2);
    // The queued run names everyone who asked while the first one ran.
    expect(runs.reasons[1]).toContain('caller 1');
    expect(runs.reasons[1]).toContain('caller 99');
  });

  it('starts a new run for a caller that comes after the last one finished', async () => {
    let count = 0;
    const sync = coalesce(async () => {
      count++;
    });
    await sync();
    await sync();
    expect(count).toBe(2);
  });

  it('gives each caller the outcome of the run that served it', async () => {
    let n = 0;
    const sync = coalesce(async () => {
      n++;
      if (n === 1) throw new Error('first failed');
    });
    const first = sync('a');
    const second = sync('b');
    await expect(first).rejects.toThrow('first failed');
    await expect(second).resolves.toBeUndefined();
  });

  it('turns a burst of 100 real POST /sync requests into at most 2 syncs', async () => {
    const runs = heldRuns();
    const trigger = createTrigger({ ref: 'main', registry: new Registry(), syncNow: coalesce(runs.run) });
    server = await listen((req, res) => trigger.handle(req, res));
    const url = `${server.url}/sync`;
    const statuses = await Promise.all(
      Array.from({ length: 100 }, () => fetch(url, { method: 'POST' }).then((r) => r.status)),
    );
    expect(statuses.every((s) => s === 202)).toBe(true);
    expect(runs.reasons).toHaveLength(1);
    runs.release();
    // Requests 2..100 arrived while the first sync ran: they share exactly one more.
    await waitFor(() => runs.reasons.length === 2, { message: 'the queued sync' });
    await waitFor(() => runs.finished === 2, { message: 'both syncs to finish' });
    expect(runs.reasons).toHaveLength(2);
  });
});
