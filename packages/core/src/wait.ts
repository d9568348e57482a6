export interface WaitForOptions {
  /** Give up after this many milliseconds (default 30 s: generous for a loaded 2-core machine). */
  timeout?: number;
  /** Between checks, in milliseconds (default 25). */
  interval?: number;
  /** Stops waiting (rejecting with the signal's reason). */
  signal?: AbortSignal;
  /** What was awaited, said in the error when the deadline passes. */
  message?: string;
}

/**
 * Polls `check` until it returns something truthy (which is returned) or the deadline passes: the
 * one way gitpaas waits on a condition, never a fixed sleep. A throw from `check` counts as
 * "not yet"; the last one is reported on timeout.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeout = options.timeout ?? 30_000;
  const interval = options.interval ?? 25;
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeout} ms waiting for ${options.message ?? 'a condition'}${why}`);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, interval);
      function done() {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        resolve();
      }
      options.signal?.addEventListener('abort', done, { once: true });
    });
  }
}
