import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import type { AppLink } from './handoff.js';

/**
 * How long a pooled connection to the app may sit idle before the proxy closes it. Shorter than
 * any common server's keep-alive timeout (gunicorn 2 s, Node, uvicorn and Apache 5 s), so the proxy
 * never sends a request into a connection the app is closing — the race a POST cannot recover from.
 * A Node app's `Keep-Alive: timeout=` hint shortens it further (Node's agent honours it minus 1 s).
 */
export const UPSTREAM_IDLE_MS = 1000;

/** One child's private port as the proxy sees it: a keep-alive pool and what is still in flight. */
export class Upstream {
  readonly agent = new Agent({ keepAlive: true, scheduling: 'lifo', timeout: UPSTREAM_IDLE_MS });
  /** Proxied requests not finished yet. */
  inflight = 0;
  /** Client sockets of upgraded connections (websockets) piped to this child. */
  readonly upgraded = new Set<Socket>();
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  /** `link`: the child's IPC channel with --socket-handoff, to hand it whole connections. */
  constructor(
    readonly port: number,
    readonly link: AppLink | null = null,
  ) {
    // While draining, a socket handed back to the pool will never be used again: close it so
    // keep-alive connections to the old child do not outlive the handoff.
    this.agent.on('free', (socket: Socket) => {
      if (this.draining) socket.destroy();
    });
  }

  begin(): void {
    this.inflight++;
  }

  end(): void {
    this.inflight--;
    this.checkIdle();
  }

  addUpgraded(socket: Socket): void {
    this.upgraded.add(socket);
    socket.once('close', () => this.removeUpgraded(socket));
  }

  /** The socket closed, or never reached this child (it goes to another one). */
  removeUpgraded(socket: Socket): void {
    if (this.upgraded.delete(socket)) this.checkIdle();
  }

  /**
   * Stops reusing idle keep-alive sockets; resolves when nothing is in flight or upgraded, and
   * the connections handed to the child have ended (or been closed once idle).
   */
  drain(): Promise<void> {
    this.draining = true;
    for (const sockets of Object.values(this.agent.freeSockets)) {
      for (const socket of sockets ?? []) socket.destroy();
    }
    const proxied = new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
    return Promise.all([proxied, this.link?.retire()]).then(() => {});
  }

  /** Closes whatever is left: upgraded sockets and pooled connections. */
  close(): void {
    this.draining = true;
    for (const socket of this.upgraded) socket.destroy();
    this.agent.destroy();
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.inflight > 0 || this.upgraded.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
