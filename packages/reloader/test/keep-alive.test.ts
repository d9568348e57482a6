import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { UPSTREAM_IDLE_MS } from '../src/upstream.js';
import { ReloaderHarness } from './harness.js';
import { get, hash, revisionOf } from './helpers.js';

const harness = new ReloaderHarness({ readyPath: '/healthz', drainTimeout: 1000 });
afterEach(() => harness.cleanUp());

/** The app closes a keep-alive connection exactly this long after its last response, unannounced. */
const APP_IDLE_MS = 1200;
/** The proxy's --keep-alive-timeout here (65 s by default), announced in Keep-Alive. */
const PROXY_IDLE_MS = 3000;

interface Outcome {
  pause: number;
  status?: number;
  error?: string;
  reused: boolean;
}

/** One request on the client's keep-alive agent: a GET, or a POST with a body (which nobody may retry). */
function send(port: number, agent: Agent, post: boolean, pause: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const method = post ? 'POST' : 'GET';
    const req = request({ host: '127.0.0.1', port, agent, method, path: '/' }, (res) => {
      res.resume();
      res.on('end', () => resolve({ pause, status: res.statusCode, reused: req.reusedSocket }));
      res.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ pause, error: error.code ?? error.message, reused: req.reusedSocket }),
      );
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ pause, error: `${error.code ?? ''} ${error.message}`, reused: req.reusedSocket }),
    );
    req.end(post ? 'order=1' : undefined);
  });
}

describe('keep-alive clients', () => {
  it("see no reset when they pause just under, at and just over the app's idle timeout, and under and past the proxy's, across switches", async () => {
    const { layout, port, reloader, liveOn } = await harness.setUp({ keepAliveTimeout: PROXY_IDLE_MS });
    const names = ['k0', 'k1', 'k2', 'k3'];
    for (const name of names) await layout.add(hash(name), { idleMs: APP_IDLE_MS });
    await layout.flip(hash('k0'));
    await reloader.start();

    // One client, one connection, one request at a time: its pauses are the idle times of the
    // proxy's pooled connection to the app too. Around the app's timeout the pauses step by 1 ms,
    // as the race (the app closing a connection the proxy is reusing) is a millisecond wide.
    // Against the proxy's own timeout a client that pauses exactly as long races the close in any
    // server (which is why servers announce it), so those pauses keep a second's margin; Node
    // 20.20 closes up to a second after the announced timeout, so "past" is past that too.
    const pauses = [
      ...[-100, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 100].map((d) => APP_IDLE_MS + d),
      ...[-1000, 2500].map((d) => PROXY_IDLE_MS + d),
    ];
    let agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const outcomes: Outcome[] = [];
    let next = 1;
    try {
      for (const [i, pause] of pauses.entries()) {
        // A POST mostly: a GET the proxy may retry by itself, a POST it must never send into a closing connection.
        outcomes.push(await send(port, agent, i % 4 !== 3, pause));
        const idleSince = performance.now();
        // A switch every few pauses, inside the pause: the new app's pool starts empty.
        if (i % 5 === 4 && next < names.length) {
          await layout.flip(hash(names[next]!));
          await liveOn(hash(names[next++]!));
        }
        const left = pause - (performance.now() - idleSince);
        if (left >= 0) await sleep(left);
        else {
          // The switch outlasted the pause (a loaded machine): the connection's idle time is not
          // the one under test, so the next request starts a new one.
          agent.destroy();
          agent = new Agent({ keepAlive: true, maxSockets: 1 });
        }
      }
      outcomes.push(await send(port, agent, true, 0));
    } finally {
      agent.destroy();
    }
    expect(next).toBe(names.length);
    expect(outcomes.filter((outcome) => outcome.error || outcome.status !== 200)).toEqual([]);
    // Pauses under the proxy's timeout kept the client's connection: the test crossed them.
    expect(outcomes.filter((outcome) => outcome.reused).length).toBeGreaterThan(pauses.length / 2);
  });

  it("gets a response that takes longer than the proxy's idle timeout for pooled app connections", async () => {
    const { layout, port, reloader } = await harness.setUp();
    await layout.add(hash('slow'));
    await layout.flip(hash('slow'));
    await reloader.start();
    const agent = new Agent({ keepAlive: true });
    try {
      for (const ms of [0, UPSTREAM_IDLE_MS + 500, 0]) {
        const answer = await get(port, `/?ms=${ms}`, agent);
        expect(answer.status).toBe(200);
        expect(revisionOf(answer)).toBe(hash('slow'));
      }
    } finally {
      agent.destroy();
    }
  });
});
