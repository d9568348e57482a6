/** A deadline made from a timer this module holds, linked to any parent signals. */
export interface Deadline {
  /** Aborts when the time is up (reason: a TimeoutError DOMException) or a parent aborts. */
  readonly signal: AbortSignal;
  /** Whether it was the time that ran out (rather than a parent). */
  readonly timedOut: boolean;
  /** Cancels the timer and unlinks the parents; call it when the work is done. */
  clear(): void;
}

/**
 * A timeout signal that keeps firing: AbortSignal.timeout() combined with AbortSignal.any() can
 * stop firing after a garbage collection on Node 20 (nodejs/node#57736), which would let one
 * stalled connection wedge a loop for good. Here the timer is referenced until clear().
 * `unref` lets the host process exit while the deadline waits (the default keeps it alive, as the
 * work it bounds does).
 */
export function deadline(ms: number, parents: readonly AbortSignal[] = [], unref = false): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const onParentAbort = (event: Event) => {
    controller.abort((event.target as AbortSignal).reason);
    clear();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError'));
    clear();
  }, ms);
  if (unref) timer.unref();
  const clear = () => {
    clearTimeout(timer);
    for (const parent of parents) parent.removeEventListener('abort', onParentAbort);
  };
  for (const parent of parents) {
    if (parent.aborted) {
      controller.abort(parent.reason);
      clear();
      break;
    }
    parent.addEventListener('abort', onParentAbort);
  }
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    clear,
  };
}

/** Resolves after `ms`, or at once when the signal aborts (never rejects). The timer is cleared either way. */
export function sleep(ms: number, signal?: AbortSignal, unref = false): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (unref) timer.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when the signal aborts, at once if it already has (`events.once` would wait forever then). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
