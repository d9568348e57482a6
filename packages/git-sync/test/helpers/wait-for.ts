export interface WaitForOptions {
  /** Give up after this many milliseconds (generous: the CI machine is a loaded 2-core box). */
  timeout?: number;
  /** Poll interval in milliseconds. */
  interval?: number;
  /** Said in the error when the deadline passes. */
  message?: string;
}

/**
 * Polls `fn` until it returns a truthy value (which is returned) or the deadline passes.
 * A throw from `fn` counts as "not yet"; the last one is reported on timeout.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeout = options.timeout ?? 30_000;
  const interval = options.interval ?? 25;
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`waitFor: ${options.message ?? 'condition'} not met within ${timeout} ms${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
