import { request } from 'node:http';
import { connect } from 'node:net';
import { deadline, sleep } from '@gitpaas/core';
import { type ChildExit, describeExit } from './child.js';
import { ReloaderError } from './errors.js';
import { formatMs } from './format.js';

/**
 * Probes every 10 ms for the first second (most apps listen within it, and each probe of the
 * ladder's later steps was time the new revision waited after it was ready), then slow down to
 * 150 ms. A refused connect costs the app nothing.
 */
const FAST_POLL_MS = 10;
const FAST_FOR_MS = 1000;
const MAX_POLL_MS = 150;
const ATTEMPT_TIMEOUT_MS = 2000;

export interface ReadyInput {
  port: number;
  /** HTTP path that must answer 2xx; without it a TCP connect is enough. */
  path?: string;
  timeoutMs: number;
  /** The child's exit: readiness fails as soon as it resolves. */
  exited: Promise<ChildExit>;
  signal: AbortSignal;
}

/** Waits until the child on `port` is ready; throws E_EXITED or E_NOT_READY (or the abort reason). */
export async function waitReady(input: ReadyInput): Promise<void> {
  const limit = deadline(input.timeoutMs, [input.signal]);
  let exit: ChildExit | null = null;
  void input.exited.then((e) => {
    exit = e;
  });
  let last = 'nothing answered yet';
  const started = performance.now();
  let pause = FAST_POLL_MS;
  try {
    for (;;) {
      input.signal.throwIfAborted();
      if (exit) throw exitedError(exit);
      const result = await attempt(input.port, input.path);
      if (result === true) {
        if (exit) throw exitedError(exit);
        return;
      }
      last = result;
      if (limit.timedOut) {
        throw new ReloaderError(
          'E_NOT_READY',
          `not ready within ${formatMs(input.timeoutMs)} (${input.path ? `GET ${input.path}` : 'TCP connect'}: ${last}); fix the app or raise --ready-timeout`,
        );
      }
      await sleep(pause, limit.signal);
      if (performance.now() - started >= FAST_FOR_MS) pause = Math.min(MAX_POLL_MS, pause * 1.25);
    }
  } finally {
    limit.clear();
  }
}

export function exitedError(exit: ChildExit): ReloaderError {
  if (exit.error) return new ReloaderError('E_SPAWN', `could not start the command: ${exit.error}`);
  return new ReloaderError(
    'E_EXITED',
    `the new process ${describeExit(exit)} before it was ready; see its last output lines`,
  );
}

/** One readiness probe: true, or why not. */
function attempt(port: number, path: string | undefined): Promise<true | string> {
  return new Promise((resolve) => {
    if (!path) {
      const socket = connect({ port, host: '127.0.0.1', timeout: ATTEMPT_TIMEOUT_MS });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve('connect timed out');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      return;
    }
    const req = request(
      { host: '127.0.0.1', port, path, method: 'GET', agent: false, timeout: ATTEMPT_TIMEOUT_MS },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve(status >= 200 && status < 300 ? true : `answered ${status}`);
      },
    );
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}
