import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  timeout: number;
  /** Between checks. */
  interval?: number;
  signal?: AbortSignal;
  /** Says what was awaited, for the timeout error. */
  what?: string;
}

/** Polls `check` until it returns a value other than undefined/false; throws after `timeout`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeout;
  const interval = options.interval ?? 50;
  for (;;) {
    options.signal?.throwIfAborted();
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${options.timeout}ms waiting for ${options.what ?? 'a condition'}`);
    }
    await sleep(interval, undefined, { signal: options.signal });
  }
}
