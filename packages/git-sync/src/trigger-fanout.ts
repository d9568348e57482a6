import { lookup } from 'node:dns/promises';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { deadline, FlagError, type Logger, parseBind, whenAborted } from '@gitpaas/core';
import type { Counter, Registry } from 'prom-client';
import { GitSyncError } from './errors.js';
import { metric } from './prom.js';
import { SIGNATURE_HEADERS } from './signature.js';

/** Marks a delivery one replica re-sent to another; a replica never re-sends a marked one. */
export const FORWARDED_HEADER = 'x-gitpaas-forwarded';
/** For one peer's answer (and one host's DNS lookup): a healthy replica answers 202 before it syncs. */
export const FANOUT_TIMEOUT_MS = 2000;
/** Requests in flight at once; more peers wait for a free slot. */
export const FANOUT_CONCURRENCY = 16;

/** The headers a replica needs to verify and read the delivery as the forge sent it. */
const KEPT_HEADERS = [
  'content-type',
  ...SIGNATURE_HEADERS,
  'x-github-event',
  'x-github-delivery',
  'x-gitea-event',
  'x-gitea-delivery',
  'x-gogs-event',
  'x-gitlab-event',
  'x-gitlab-event-uuid',
];

export interface FanoutTarget {
  host: string;
  port: number;
}

/** A verified delivery to re-send: body and headers unchanged, and where it came in (this instance). */
export interface Delivery {
  body: Buffer;
  headers: Record<string, string>;
  localPort: number | undefined;
  localAddress: string | undefined;
}

export type FanoutResult = 'ok' | 'error' | 'timeout';

/**
 * `--trigger-fanout host:port[,host:port…]` (repeatable) → targets. A host is required (`:8081`
 * names no one); the port is the peers' --http-bind port.
 */
export function parseFanoutTargets(items: readonly string[]): FanoutTarget[] {
  const flag = '--trigger-fanout';
  return items
    .flatMap((item) => item.split(','))
    .map((text) => text.trim())
    .filter(Boolean)
    .map((text) => {
      let parsed: ReturnType<typeof parseBind>;
      try {
        parsed = parseBind(text, flag);
      } catch (error) {
        const message = error instanceof FlagError ? error.message : String(error);
        throw new GitSyncError('E_BAD_FLAG', message.replace(/e\.g\. .*$/, 'e.g. gitpaas-sync:8081'), {
          cause: error,
        });
      }
      if (!parsed.host || parsed.port === 0) {
        throw new GitSyncError(
          'E_BAD_FLAG',
          `${flag}: "${text}" needs a host and a port, e.g. gitpaas-sync:8081 (a headless Service) or 10.0.0.5:8081`,
        );
      }
      return { host: parsed.host, port: parsed.port };
    });
}

/** What a peer needs of the request: the raw body and the forge's headers, nothing else. */
export function deliveryOf(req: IncomingMessage, body: Buffer): Delivery {
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = req.headers[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[name] = first;
  }
  return { body, headers, localPort: req.socket.localPort, localAddress: req.socket.localAddress };
}

export interface FanoutOptions {
  targets: readonly FanoutTarget[];
  /** Null: nothing can read the metrics, none are kept. */
  registry: Registry | null;
  logger: Logger;
  /** Aborts requests in flight and ends the fan-out (git-sync's stop). */
  stopSignal?: AbortSignal;
}

interface Peer {
  url: string;
  /** A request to it is in flight. */
  sending: boolean;
  /** The newest delivery not yet sent to it: a peer coalesces anyway, so older ones are dropped. */
  next: Delivery | null;
  /** Its last request failed: the next failure is not logged again. */
  failing: boolean;
}

/**
 * Re-sends verified deliveries to every address each target host resolves to (a headless
 * Service name → every pod), skipping this instance. Never waits: the caller has answered 202
 * already. Bounded: DNS is asked again for each round, one round at a time (deliveries arriving
 * meanwhile collapse into the newest); each peer has at most one request in flight and one
 * delivery waiting, so a peer that hangs delays only itself; FANOUT_CONCURRENCY requests at once,
 * each given FANOUT_TIMEOUT_MS.
 */
export class Fanout {
  readonly #targets: readonly FanoutTarget[];
  readonly #logger: Logger;
  readonly #stop: AbortSignal[];
  readonly #results: Counter<'result'>;
  readonly #peers = new Map<string, Peer>();
  /** Peers with a delivery waiting for a free slot. */
  readonly #waiting = new Set<string>();
  readonly #failingHosts = new Set<string>();
  #active = 0;
  #resolving = false;
  #nextRound: Delivery | null = null;

  constructor(options: FanoutOptions) {
    this.#targets = options.targets;
    this.#logger = options.logger;
    this.#stop = options.stopSignal ? [options.stopSignal] : [];
    this.#results = metric(
      options.registry,
      (prom, registers) =>
        new prom.Counter({
          name: 'gitpaas_trigger_fanout_total',
          help: 'Deliveries re-sent to other replicas (--trigger-fanout) by result: ok (2xx), error (refused, non-2xx, DNS), timeout',
          labelNames: ['result'] as const,
          registers,
        }),
    );
  }

  /** Sends `delivery` to every peer in the background. */
  deliver(delivery: Delivery): void {
    if (this.#stopped) return;
    if (this.#resolving) {
      this.#nextRound = delivery;
      return;
    }
    void this.#round(delivery);
  }

  get #stopped(): boolean {
    return this.#stop.some((signal) => signal.aborted);
  }

  async #round(delivery: Delivery): Promise<void> {
    this.#resolving = true;
    try {
      const peers = await this.#resolve(delivery);
      for (const [key, url] of peers) {
        const peer = this.#peers.get(key) ?? { url, sending: false, next: null, failing: false };
        this.#peers.set(key, peer);
        peer.next = delivery;
        this.#send(key);
      }
      // Pods come and go: forget idle peers the names no longer resolve to.
      for (const [key, peer] of this.#peers) {
        if (!peers.has(key) && !peer.sending && !peer.next) this.#peers.delete(key);
      }
    } finally {
      this.#resolving = false;
      const next = this.#nextRound;
      this.#nextRound = null;
      if (next && !this.#stopped) void this.#round(next);
    }
  }

  /** Peer key → URL, for every address of every target except this instance's own. */
  async #resolve(delivery: Delivery): Promise<Map<string, string>> {
    const isSelf = selfTest(delivery);
    const peers = new Map<string, string>();
    await Promise.all(
      this.#targets.map(async ({ host, port }) => {
        const addresses = await this.#lookup(host);
        for (const address of addresses) {
          if (isSelf(address, port)) continue;
          const authority = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
          peers.set(authority, `http://${authority}/sync`);
        }
      }),
    );
    return peers;
  }

  /** Every address of `host`, or none when the lookup fails (counted and logged once per outage). */
  async #lookup(host: string): Promise<string[]> {
    if (isIP(host)) return [host];
    const limit = deadline(FANOUT_TIMEOUT_MS, this.#stop);
    try {
      // dns.lookup cannot be cancelled: stop waiting for it instead.
      const found = await Promise.race([
        lookup(host, { all: true }),
        whenAborted(limit.signal).then(() => Promise.reject(limit.signal.reason as Error)),
      ]);
      if (this.#failingHosts.delete(host)) this.#logger.info('fan-out resolves again', { host });
      return found.map((entry) => entry.address);
    } catch (error) {
      if (this.#stopped) return [];
      this.#results.inc({ result: limit.timedOut ? 'timeout' : 'error' });
      const reason = limit.timedOut ? `no answer within ${FANOUT_TIMEOUT_MS} ms` : errorText(error);
      if (this.#failingHosts.has(host)) this.#logger.debug('fan-out cannot resolve', { host, reason });
      else this.#logger.warn(`fan-out cannot resolve ${host}: ${reason}`, { host });
      this.#failingHosts.add(host);
      return [];
    } finally {
      limit.clear();
    }
  }

  #send(key: string): void {
    this.#waiting.delete(key);
    const peer = this.#peers.get(key);
    if (!peer || peer.sending || !peer.next || this.#stopped) return;
    if (this.#active >= FANOUT_CONCURRENCY) {
      this.#waiting.add(key);
      return;
    }
    const delivery = peer.next;
    peer.next = null;
    peer.sending = true;
    this.#active++;
    void this.#post(peer, delivery).then((outcome) => {
      peer.sending = false;
      this.#active--;
      if (outcome) this.#report(key, peer, outcome);
      this.#send(key);
      // Called below the cap only, so a peer taken from the set is sent, never put back.
      for (const waiting of this.#waiting) {
        if (this.#active >= FANOUT_CONCURRENCY) break;
        this.#send(waiting);
      }
    });
  }

  /** One request; null when git-sync stopped meanwhile (not a result). Never rejects. */
  async #post(peer: Peer, delivery: Delivery): Promise<{ result: FanoutResult; reason?: string } | null> {
    const limit = deadline(FANOUT_TIMEOUT_MS, this.#stop);
    try {
      const response = await fetch(peer.url, {
        method: 'POST',
        body: delivery.body,
        headers: { ...delivery.headers, [FORWARDED_HEADER]: '1' },
        signal: limit.signal,
      });
      const text = await response.text();
      if (response.ok) return { result: 'ok' };
      return { result: 'error', reason: `answered ${response.status} ${text.trim().slice(0, 200)}` };
    } catch (error) {
      if (this.#stopped) return null;
      if (limit.timedOut) return { result: 'timeout', reason: `no answer within ${FANOUT_TIMEOUT_MS} ms` };
      return { result: 'error', reason: errorText(error) };
    } finally {
      limit.clear();
    }
  }

  #report(key: string, peer: Peer, { result, reason }: { result: FanoutResult; reason?: string }): void {
    this.#results.inc({ result });
    if (result === 'ok') {
      if (peer.failing) this.#logger.info('fan-out reaches a peer again', { peer: key });
      peer.failing = false;
      return;
    }
    if (peer.failing) {
      this.#logger.debug('fan-out failed again', { peer: key, result, reason });
    } else {
      this.#logger.warn(`fan-out to ${key} failed: ${reason}; that replica syncs at its next period`, {
        peer: key,
        result,
      });
    }
    peer.failing = true;
  }
}

/**
 * Whether `address:port` is this instance: the port the delivery came in on, at one of this
 * machine's addresses (every interface, so a pod's own IP in a headless Service's answer too).
 */
export function selfTest(
  delivery: Pick<Delivery, 'localPort' | 'localAddress'>,
): (address: string, port: number) => boolean {
  const own = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) own.add(normalize(entry.address));
  }
  if (delivery.localAddress) own.add(normalize(delivery.localAddress));
  return (address, port) => port === delivery.localPort && own.has(normalize(address));
}

/** `::ffff:10.0.0.5` (a dual-stack socket's view of IPv4) → `10.0.0.5`; IPv6 lowercased, no zone. */
function normalize(address: string): string {
  const lower = address.toLowerCase().replace(/%.*$/, '');
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/** fetch's "fetch failed" hides the reason (ECONNREFUSED…) in `cause`. */
function errorText(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string }; code?: string };
  return err.cause?.code ?? err.cause?.message ?? err.code ?? err.message;
}
