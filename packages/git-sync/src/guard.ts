import type { IncomingMessage } from 'node:http';
import { type Logger, silentLogger } from '@gitpaas/core';
import { type SecretFile, verifySignature } from './signature.js';

/** Whether an address is this host's own: 127.0.0.0/8, ::1, or either mapped into IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d+\.\d+\.\d+$/.test(v4);
}

/** The client addresses proxies named: every `X-Forwarded-For` entry and `Forwarded: for=`. */
function forwardedFor(req: IncomingMessage): string[] {
  const values = (name: string) => {
    const raw = req.headers[name];
    return (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((v) => v.split(','));
  };
  const named = [
    ...values('x-forwarded-for'),
    ...values('forwarded').flatMap((part) =>
      part
        .split(';')
        .map((pair) => pair.trim())
        .filter((pair) => pair.toLowerCase().startsWith('for='))
        .map((pair) => pair.slice(4)),
    ),
  ];
  return named.map((entry) => {
    const value = entry.trim().replace(/^"|"$/g, '');
    if (value.startsWith('[')) return value.slice(1, value.indexOf(']'));
    // An IPv4 address may carry a port; a bare IPv6 one has colons of its own.
    return /^\d+\.\d+\.\d+\.\d+:\d+$/.test(value) ? value.slice(0, value.lastIndexOf(':')) : value;
  });
}

/**
 * Whether a request comes from this host: its socket is loopback, and so is every client a proxy
 * named (the reloader's --sync-url forwarding names its caller). A reverse proxy on the same host
 * must not make the whole internet local.
 */
export function fromLoopback(req: IncomingMessage): boolean {
  return isLoopback(req.socket.remoteAddress) && forwardedFor(req).every(isLoopback);
}

export type GuardVerdict =
  | { ok: true }
  | { ok: false; status: 401 | 403 | 503; outcome: 'unauthorized' | 'forbidden' | 'error'; detail: string };

export interface Guard {
  /** Whether the request may change state: loopback without a secret, else signed or bearing it. */
  check(req: IncomingMessage, body: Buffer): Promise<GuardVerdict>;
}

/**
 * What protects the endpoints that change state (POST /rollback, DELETE /rollback) exactly as
 * POST /sync is protected: with `--trigger-secret-file`, a signature of the body made with the
 * secret (or the secret as a bearer token); without it, only callers on this host.
 */
export function createGuard(secret: SecretFile | null, logger: Logger = silentLogger): Guard {
  return {
    async check(req, body) {
      if (!secret) {
        return fromLoopback(req)
          ? { ok: true }
          : {
              ok: false,
              status: 403,
              outcome: 'forbidden',
              detail: 'set --trigger-secret-file to accept this from other hosts',
            };
      }
      let key: Buffer;
      try {
        key = await secret.read();
      } catch (error) {
        logger.error(`request refused: cannot read the trigger secret: ${(error as Error).message}`);
        return {
          ok: false,
          status: 503,
          outcome: 'error',
          detail: 'the trigger secret cannot be read; see the git-sync log',
        };
      }
      const verdict = verifySignature(req.headers, body, key);
      if (verdict.ok) return { ok: true };
      logger.warn(`request refused: ${verdict.reason}`, { from: req.socket.remoteAddress });
      return { ok: false, status: 401, outcome: 'unauthorized', detail: verdict.reason };
    },
  };
}
