import {
  type ClientRequest,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import { ReloaderError } from './errors.js';
import { requestHeaders, responseHeaders, upgradeHead } from './forward-headers.js';
import { type GiveUp, ParkingLot } from './parking.js';
import type { Upstream } from './upstream.js';

/** Why the proxy answered a request itself: no child live, the child failed it, a restart took too long, shutdown. */
export type ProxyErrorKind = 'no-upstream' | 'upstream' | 'restart-timeout' | 'stopping';

export interface ProxyHooks {
  /** A proxied request got a response from a child (status as the child sent it). */
  onResponse(status: number): void;
  /** A request or upgrade could not be proxied; detail is the error code. */
  onError(kind: ProxyErrorKind, detail?: string): void;
  /** A connection went to the live child's own process (--socket-handoff). */
  onHandedOff(): void;
}

/**
 * How long a body-less GET, HEAD or OPTIONS whose fresh connection the live child refused or
 * dropped waits for the reloader to notice that the child exited (and hold it for the restart).
 */
const NOTICE_MS = 2000;
/** Tries of one idempotent request on children after the first (pooled socket closed, child gone). */
const MAX_RETRIES = 3;
/**
 * Node closes an idle client connection 1 s after the keep-alive timeout it announces; the headers
 * timeout must outlast that, or Node would cut idle keep-alive connections short.
 */
const HEADERS_AFTER_KEEP_ALIVE_MS = 2000;
/** Node's default time to receive a whole request; raised only if the headers timeout goes past it. */
const REQUEST_TIMEOUT_MS = 300_000;

/** One request's history in the proxy: retries made, and until when it may wait for a restart. */
interface Attempts {
  retries: number;
  /** The next try opens a new connection instead of taking one from the pool. */
  fresh?: boolean;
  /** Set when it first waits for a restart: it never waits past this. */
  holdDeadline: number;
}

/**
 * The public side of the handoff: every request and upgrade goes to whichever upstream is
 * active when it arrives; switching is a pointer swap, so nothing is refused mid-switch. With
 * `socketHandoff`, a connection goes whole to the active child's process when it takes them
 * (handoff.ts), and only the others are proxied.
 */
export class HandoffProxy {
  readonly server: Server;
  private active: Upstream | null = null;
  /** While no child is active and this is in the future, requests wait for a restart (epoch ms). */
  private holdUntil = 0;
  private readonly parking = new ParkingLot();

  /**
   * `keepAliveTimeout` (--keep-alive-timeout): how long an idle client connection stays open, as
   * announced in `Keep-Alive: timeout=`; it must outlast the idle timeout of whatever sits in front
   * (AWS ALB and nginx keep idle connections 60 s), or such a client may send a request into a
   * connection the proxy is closing and get a reset.
   */
  constructor(
    private readonly hooks: ProxyHooks,
    keepAliveTimeout: number,
    socketHandoff = false,
  ) {
    const headersTimeout = keepAliveTimeout + HEADERS_AFTER_KEEP_ALIVE_MS;
    this.server = createServer(
      { headersTimeout, requestTimeout: Math.max(REQUEST_TIMEOUT_MS, headersTimeout) },
      (req, res) => this.forward(req, res, { retries: 0, holdDeadline: 0 }),
    );
    this.server.keepAliveTimeout = keepAliveTimeout;
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      // It may wait for a restart before anything is piped to it.
      socket.on('error', () => socket.destroy());
      this.upgrade(req, socket, head, { retries: 0, holdDeadline: 0 });
    });
    this.server.on('clientError', (_error, socket: Socket) => {
      if (socket.writable)
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
    if (socketHandoff) this.handOffConnections();
  }

  /** Each new connection goes to the active child's process if it takes it, or to the HTTP parser here. */
  private handOffConnections(): void {
    const { server } = this;
    // Connections arrive paused, nothing read here: the app's process gets them whole.
    (server as Server & { pauseOnConnect: boolean }).pauseOnConnect = true;
    const parse = server.listeners('connection') as Array<(socket: Socket) => void>;
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => {
      if (this.active?.link?.take(socket)) {
        this.hooks.onHandedOff();
        return;
      }
      for (const listener of parse) listener.call(server, socket);
      socket.resume();
    });
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'EADDRINUSE' || error.code === 'EACCES'
            ? new ReloaderError(
                'E_PORT_IN_USE',
                `--port ${port}: ${host}:${port} is ${error.code === 'EACCES' ? 'not allowed' : 'already in use'}; stop whatever holds it or choose another --port`,
                { cause: error },
              )
            : error,
        );
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
  }

  /** Traffic goes to `upstream` from now on (null: answer 502); requests waiting for a restart go too. */
  setActive(upstream: Upstream | null): void {
    this.active = upstream;
    this.holdUntil = 0;
    this.parking.wakeAll();
  }

  /**
   * The live child exited and a restart is coming: until `untilMs` (epoch ms) or the next
   * `setActive`, requests and upgrades wait for it instead of failing.
   */
  holdForRestart(untilMs: number): void {
    this.active = null;
    this.holdUntil = untilMs;
    this.parking.wakeAll();
  }

  /** Stops accepting connections; idle client keep-alive connections are closed now, the rest on `closeAll`. */
  close(): Promise<void> {
    // The live child keeps answering requests on open connections until it is stopped; only
    // requests waiting for a restart that will not come are answered now.
    this.holdUntil = 0;
    this.parking.giveAll('stopping');
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    return closed;
  }

  closeAll(): void {
    this.server.closeAllConnections();
  }

  /** Whether a request arriving now, with no child active, should wait for a restart. */
  private holding(attempts: Attempts): boolean {
    if (this.holdUntil <= Date.now()) return false;
    attempts.holdDeadline ||= this.holdUntil;
    return attempts.holdDeadline > Date.now();
  }

  private forward(req: IncomingMessage, res: ServerResponse, attempts: Attempts): void {
    if (res.destroyed) return;
    const upstream = this.active;
    if (!upstream) {
      this.noUpstream(req, res, attempts);
      return;
    }
    upstream.begin();
    let inflight = true;
    const finish = () => {
      if (!inflight) return;
      inflight = false;
      upstream.end();
    };
    const out = request({
      host: '127.0.0.1',
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: requestHeaders(req),
      agent: attempts.fresh ? false : upstream.agent,
    });
    attempts.fresh = false;
    out.on('response', (answer) => this.answer(answer, res));
    out.on('close', finish);
    out.on('error', (error: NodeJS.ErrnoException) => {
      finish();
      this.failed(req, res, attempts, upstream, out, error);
    });
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    if (!hasBody(req)) out.end();
    else
      out.once('socket', (socket: Socket) => {
        if (socket.connecting) socket.once('connect', () => req.pipe(out));
        else req.pipe(out);
      });
  }

  /** No child is live: wait for the restart that is coming, or answer 502. */
  private noUpstream(req: IncomingMessage, res: ServerResponse, attempts: Attempts): void {
    if (this.holding(attempts)) {
      this.parking.park(
        attempts.holdDeadline - Date.now(),
        () => this.forward(req, res, attempts),
        (kind) => this.giveUp(res, kind),
        (listener) => res.once('close', listener),
      );
      return;
    }
    // A restart that is overdue is still a restart, not an app that never ran.
    if (attempts.holdDeadline || this.holdUntil) this.giveUp(res, 'restart-timeout');
    else {
      this.hooks.onError('no-upstream');
      sendError(res, 502, 'no release is live yet\n');
    }
  }

  /** Passes the child's answer on: its status and headers, then its body as it comes. */
  private answer(answer: IncomingMessage, res: ServerResponse): void {
    const status = answer.statusCode ?? 502;
    this.hooks.onResponse(status);
    res.writeHead(status, answer.statusMessage, responseHeaders(answer.rawHeaders));
    // By hand rather than pipe(): three listeners on every answer instead of seven.
    answer.on('data', (chunk: Buffer) => {
      if (!res.write(chunk)) {
        answer.pause();
        res.once('drain', () => answer.resume());
      }
    });
    answer.on('end', () => res.end());
    answer.on('error', () => res.destroy());
  }

  /** The request to the child failed: try again where that is safe, else answer 502. */
  private failed(
    req: IncomingMessage,
    res: ServerResponse,
    attempts: Attempts,
    upstream: Upstream,
    out: ClientRequest,
    error: NodeJS.ErrnoException,
  ): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const fail = () => {
      this.hooks.onError('upstream', error.code ?? error.message);
      sendError(res, 502, `the app did not answer (${error.code ?? 'error'})\n`);
    };
    // A request can safely go again when nothing of it reached the child (its new connection
    // was refused: the body is only sent once connected), or when it is idempotent without a
    // body: after a pooled connection the child closed just as we reused it (on a new
    // connection then, as the pool may hold more such), or a child that went away after a
    // switch or a crash.
    const unsent = !out.reusedSocket && error.code === 'ECONNREFUSED';
    if (attempts.retries >= MAX_RETRIES || !(unsent || retriable(req)) || req.destroyed) {
      fail();
      return;
    }
    attempts.retries++;
    if (out.reusedSocket || this.active !== upstream) {
      attempts.fresh = out.reusedSocket && this.active === upstream;
      this.forward(req, res, attempts);
      return;
    }
    // The live child refused or dropped a fresh connection: it is most likely exiting. Wait
    // (briefly) for the reloader to notice; it then holds the request for the restart.
    this.parking.park(
      NOTICE_MS,
      () => this.forward(req, res, attempts),
      (kind) => (kind === 'stopping' ? this.giveUp(res, kind) : fail()),
      (listener) => res.once('close', listener),
    );
  }

  /** Answers a request the proxy could not pass on: the restart took too long, or it is stopping. */
  private giveUp(res: ServerResponse, kind: GiveUp): void {
    this.hooks.onError(kind);
    if (kind === 'stopping') sendError(res, 503, 'the server is stopping\n');
    else sendError(res, 502, 'the app is restarting after a crash and was not back in time; try again\n');
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer, attempts: Attempts): void {
    if (socket.destroyed) return;
    const upstream = this.active;
    if (!upstream) {
      if (this.holding(attempts)) {
        this.parking.park(
          attempts.holdDeadline - Date.now(),
          () => this.upgrade(req, socket, head, attempts),
          (kind) => this.refuseUpgrade(socket, kind),
          (listener) => socket.once('close', listener),
        );
        return;
      }
      this.refuseUpgrade(socket, attempts.holdDeadline || this.holdUntil ? 'restart-timeout' : 'no-upstream');
      return;
    }
    upstream.addUpgraded(socket);
    const conn = connect({ port: upstream.port, host: '127.0.0.1' });
    let connected = false;
    conn.setNoDelay(true);
    socket.setNoDelay(true);
    socket.setTimeout(0);
    conn.on('connect', () => {
      connected = true;
      conn.write(upgradeHead(req));
      if (head.length) conn.write(head);
      socket.pipe(conn);
      conn.pipe(socket);
    });
    conn.on('error', (error: NodeJS.ErrnoException) => {
      if (connected) {
        socket.destroy();
        return;
      }
      upstream.removeUpgraded(socket);
      // Nothing reached the child yet: go to the child that replaced it, or (like a refused
      // request) wait for the reloader to notice that it exited.
      if (attempts.retries < MAX_RETRIES) {
        attempts.retries++;
        if (this.active !== upstream) this.upgrade(req, socket, head, attempts);
        else
          this.parking.park(
            NOTICE_MS,
            () => this.upgrade(req, socket, head, attempts),
            (kind) =>
              this.refuseUpgrade(
                socket,
                kind === 'stopping' ? kind : 'upstream',
                error.code ?? error.message,
              ),
            (listener) => socket.once('close', listener),
          );
        return;
      }
      this.refuseUpgrade(socket, 'upstream', error.code ?? error.message);
    });
    conn.on('close', () => {
      if (connected) socket.destroy();
    });
    socket.on('error', () => conn.destroy());
    socket.on('close', () => conn.destroy());
  }

  private refuseUpgrade(socket: Socket, kind: ProxyErrorKind, detail?: string): void {
    this.hooks.onError(kind, detail);
    const status = kind === 'stopping' ? '503 Service Unavailable' : '502 Bad Gateway';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

function retriable(req: IncomingMessage): boolean {
  return IDEMPOTENT.has(req.method ?? '') && !hasBody(req);
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

function sendError(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
