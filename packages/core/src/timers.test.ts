import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { deadline, sleep, whenAborted } from './timers.js';

describe('deadline', () => {
  it('aborts with a TimeoutError when the time is up', async () => {
    const d = deadline(20);
    await new Promise((resolve) => d.signal.addEventListener('abort', resolve, { once: true }));
    expect(d.timedOut).toBe(true);
    expect((d.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('follows a parent that aborts first, and clear() stops the timer', async () => {
    const parent = new AbortController();
    const d = deadline(60_000, [parent.signal]);
    parent.abort(new Error('stopped'));
    expect(d.signal.aborted).toBe(true);
    expect(d.timedOut).toBe(false);
    const cleared = deadline(10);
    cleared.clear();
    await sleep(40);
    expect(cleared.signal.aborted).toBe(false);
  });

  it('keeps firing after garbage collections (nodejs/node#57736)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const fired: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      // nothing but the deadline refers to the parent: the case that lost its timer on Node 20
      const d = deadline(30, [new AbortController().signal]);
      gc();
      await new Promise<void>((resolve) => {
        const guard = setTimeout(resolve, 2000);
        d.signal.addEventListener('abort', () => {
          clearTimeout(guard);
          resolve();
        });
      });
      fired.push(d.timedOut);
    }
    expect(fired).toEqual([true, true, true]);
  });
});

describe('sleep', () => {
  it('ends early when the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await slept;
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe('whenAborted', () => {
  it('resolves when the signal aborts, and at once when it already has', async () => {
    const controller = new AbortController();
    let resolved = false;
    const pending = whenAborted(controller.signal).then(() => {
      resolved = true;
    });
    await sleep(10);
    expect(resolved).toBe(false);
    controller.abort();
    await pending;
    expect(resolved).toBe(true);
    await whenAborted(controller.signal);
  });
});
