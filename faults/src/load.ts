import { Agent, request } from 'node:http';
import { sleep } from '@gitpaas/core';

export interface LoadResult {
  sent: number;
  failed: number;
  /** The first few failures, as `<status> <body>` or the error. */
  errors: string[];
  /** When each failure happened (ms since the epoch; the first 1000). */
  failedAt: number[];
  /** How many answers each revision (the app's GITPAAS_REVISION) gave. */
  revisions: Map<string, number>;
  /** Labels (the revision's app.json `label`) that answered. */
  labels: Set<string>;
}

export interface Load {
  /** The answers so far. */
  readonly result: LoadResult;
  /** Resolves once `n` more requests than now have been answered (a sign the app serves). */
  answered(n?: number): Promise<void>;
  /** Stops the loops and returns the totals (the same ones when called again). */
  stop(): Promise<LoadResult>;
}

export interface LoadOptions {
  connections?: number;
  intervalMs?: number;
  /** The loops stop by themselves after this long. */
  maxMs?: number;
}

/**
 * A steady client of the public port: `connections` keep-alive loops, each sending a GET every
 * `intervalMs`, until stopped or `maxMs` has passed (the loops end by themselves). Every answer
 * other than a 200 from the app, and every error, is a failed request.
 */
export function startLoad(
  port: number,
  { connections = 2, intervalMs = 25, maxMs = 300_000 }: LoadOptions = {},
): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const result: LoadResult = {
    sent: 0,
    failed: 0,
    errors: [],
    failedAt: [],
    revisions: new Map(),
    labels: new Set(),
  };
  const stopper = new AbortController();
  const endAt = Date.now() + maxMs;
  const waiters: Array<{ at: number; resolve: () => void }> = [];
  const settle = () => {
    const done = result.sent;
    for (const waiter of waiters.splice(0)) {
      if (done >= waiter.at) waiter.resolve();
      else waiters.push(waiter);
    }
  };
  const loop = async () => {
    while (!stopper.signal.aborted && Date.now() < endAt) {
      result.sent++;
      try {
        const answer = await get(port, agent);
        if (answer.status === 200) {
          const body = JSON.parse(answer.body) as { revision: string; label: string | null };
          result.revisions.set(body.revision, (result.revisions.get(body.revision) ?? 0) + 1);
          if (body.label) result.labels.add(body.label);
        } else fail(`${answer.status} ${answer.body.slice(0, 200)}`);
      } catch (error) {
        fail(String(error));
      }
      settle();
      await sleep(intervalMs, stopper.signal);
    }
  };
  const fail = (why: string) => {
    result.failed++;
    if (result.errors.length < 10) result.errors.push(why);
    if (result.failedAt.length < 1000) result.failedAt.push(Date.now());
  };
  const loops = Promise.all(Array.from({ length: connections }, loop));
  let stopped: Promise<LoadResult> | undefined;
  return {
    result,
    answered: (n = 1) =>
      new Promise((resolve, reject) => {
        if (stopper.signal.aborted) return reject(new Error('the load was stopped'));
        waiters.push({ at: result.sent + n, resolve });
      }),
    stop() {
      stopper.abort();
      stopped ??= loops.then(() => {
        agent.destroy();
        return result;
      });
      return stopped;
    },
  };
}

function get(port: number, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 30 s')));
    req.on('error', reject);
    req.end();
  });
}
