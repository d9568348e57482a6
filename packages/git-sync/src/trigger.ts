import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, silentLogger } from '@gitpaas/core';
import type { Registry } from 'prom-client';
import { fromLoopback } from './guard.js';
import { metric } from './prom.js';
import { type SecretFile, verifySignature } from './signature.js';
import { answerTooLarge, readBody } from './trigger-body.js';
import { deliveryOf, Fanout, type FanoutTarget, FORWARDED_HEADER } from './trigger-fanout.js';

export const TRIGGER_PATH = '/sync';
export const MAX_TRIGGER_BODY = 1024 * 1024;

export type TriggerOutcome =
  | 'accepted'
  | 'ignored'
  | 'ping'
  | 'unauthorized'
  | 'forbidden'
  | 'too_large'
  | 'bad_method'
  | 'error';

export interface TriggerOptions {
  /** `--ref`: push events for other branches or tags are acknowledged without a sync. */
  ref: string;
  /** `--trigger-secret-file`; without it only loopback callers are accepted. */
  secret?: SecretFile | null;
  /** Starts a sync; called without waiting for it. */
  syncNow(reason: string): Promise<void>;
  /** Null: nothing can read the metrics, none are kept. */
  registry: Registry | null;
  logger?: Logger;
  maxBodyBytes?: number;
  /** `--trigger-fanout`: accepted deliveries are re-sent to these (needs `secret`). */
  fanout?: readonly FanoutTarget[];
  /** Ends the fan-out's requests (git-sync's stop). */
  stopSignal?: AbortSignal;
}

export interface Trigger {
  /** Answers a request for `POST /sync`. */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

/** The `POST /sync` endpoint: a push notification from a forge (or anyone with the secret) syncs now. */
export function createTrigger(options: TriggerOptions): Trigger {
  const { ref, syncNow, registry, logger = silentLogger, maxBodyBytes = MAX_TRIGGER_BODY } = options;
  const secret = options.secret ?? null;
  const fanout =
    secret && options.fanout?.length
      ? new Fanout({ targets: options.fanout, registry, logger, stopSignal: options.stopSignal })
      : null;
  const requests = metric(
    registry,
    (prom, registers) =>
      new prom.Counter({
        name: 'gitpaas_trigger_requests_total',
        help: 'POST /sync requests by outcome (accepted, ignored, ping, unauthorized, forbidden, too_large, bad_method, error)',
        labelNames: ['outcome'],
        registers,
      }),
  );

  const answer = (res: ServerResponse, status: number, outcome: TriggerOutcome, detail?: string) => {
    requests.inc({ outcome });
    const body = JSON.stringify(detail ? { outcome, detail } : { outcome });
    res
      .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(`${body}\n`);
  };

  const handleBody = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    if (secret) {
      let key: Buffer;
      try {
        key = await secret.read();
      } catch (error) {
        logger.error(`trigger refused: cannot read the trigger secret: ${(error as Error).message}`);
        return answer(res, 503, 'error', 'the trigger secret cannot be read; see the git-sync log');
      }
      const check = verifySignature(req.headers, body, key);
      if (!check.ok) {
        logger.warn(`trigger refused: ${check.reason}`, { from: req.socket.remoteAddress });
        return answer(res, 401, 'unauthorized', check.reason);
      }
    }
    const event = readEvent(req, body);
    if (event.kind === 'ping') return answer(res, 200, 'ping');
    if (event.kind === 'other') {
      logger.debug('trigger ignored an event that is not a push', { event: event.name });
      return answer(res, 202, 'ignored', `${event.name} is not a push event`);
    }
    if (event.ref && !refMatches(ref, event.ref, event.defaultBranch)) {
      logger.debug('trigger ignored a push to another ref', { pushed: event.ref, ref });
      return answer(res, 202, 'ignored', `push to ${event.ref}, not ${ref}`);
    }
    answer(res, 202, 'accepted');
    syncNow(event.ref ? `trigger: push to ${event.ref}` : 'trigger').catch((error: Error) => {
      logger.debug('triggered sync failed', { error: error.message });
    });
    // The marker counts only here, after the signature was verified: a replica never re-sends.
    if (fanout && header(req, FORWARDED_HEADER) !== '1') fanout.deliver(deliveryOf(req, body));
  };

  return {
    handle(req, res) {
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        req.resume();
        return answer(res, 405, 'bad_method', 'use POST');
      }
      if (!secret && !fromLoopback(req)) {
        req.resume();
        return answer(res, 403, 'forbidden', 'set --trigger-secret-file to accept triggers from other hosts');
      }
      readBody(req, maxBodyBytes)
        .then((body) => {
          if (body === 'aborted') return;
          if (body === 'too_large') {
            requests.inc({ outcome: 'too_large' });
            const detail = `the body is over ${maxBodyBytes} bytes`;
            return answerTooLarge(req, res, `${JSON.stringify({ outcome: 'too_large', detail })}\n`);
          }
          return handleBody(req, res, body);
        })
        .catch((error: Error) => {
          logger.error(`trigger failed: ${error.message}`);
          if (!res.headersSent) answer(res, 500, 'error');
        });
    },
  };
}

type PushEvent =
  | { kind: 'push'; ref?: string; defaultBranch?: string }
  | { kind: 'ping' }
  | { kind: 'other'; name: string };

/** What the forge says happened: GitHub, Gitea/Forgejo and GitLab name the event in a header. */
function readEvent(req: IncomingMessage, body: Buffer): PushEvent {
  const github = header(req, 'x-github-event');
  const gitea = header(req, 'x-gitea-event') ?? header(req, 'x-gogs-event');
  const gitlab = header(req, 'x-gitlab-event');
  if (github === 'ping') return { kind: 'ping' };
  if (github && github !== 'push') return { kind: 'other', name: `X-GitHub-Event ${github}` };
  if (gitea && gitea !== 'push') return { kind: 'other', name: `X-Gitea-Event ${gitea}` };
  if (gitlab && gitlab !== 'Push Hook' && gitlab !== 'Tag Push Hook') {
    return { kind: 'other', name: `X-Gitlab-Event ${gitlab}` };
  }
  const payload = parsePayload(req, body);
  if (!payload || typeof payload !== 'object') return { kind: 'push' };
  const p = payload as {
    ref?: unknown;
    repository?: { default_branch?: unknown };
    project?: { default_branch?: unknown };
  };
  const ref = typeof p.ref === 'string' && p.ref.startsWith('refs/') ? p.ref : undefined;
  const branch = p.repository?.default_branch ?? p.project?.default_branch;
  return { kind: 'push', ref, defaultBranch: typeof branch === 'string' ? branch : undefined };
}

/** JSON, or GitHub's form encoding (`payload=<json>`); anything else is a plain "sync now". */
function parsePayload(req: IncomingMessage, body: Buffer): unknown {
  if (body.length === 0) return null;
  try {
    const type = header(req, 'content-type') ?? '';
    if (type.startsWith('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(body.toString('utf8')).get('payload');
      return form ? JSON.parse(form) : null;
    }
    return JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
}

/**
 * Whether a push to `pushed` (`refs/heads/x`, `refs/tags/v1`) can move `ref` as the user wrote
 * it. `HEAD` follows the default branch when the payload names it; a hash never moves, but a
 * trigger still syncs so a failed first sync can be retried.
 */
export function refMatches(ref: string, pushed: string, defaultBranch?: string): boolean {
  if (ref === 'HEAD') return defaultBranch === undefined || pushed === `refs/heads/${defaultBranch}`;
  if (/^[0-9a-f]{7,64}$/i.test(ref)) return true;
  if (ref.startsWith('refs/')) return pushed === ref;
  return pushed === `refs/heads/${ref}` || pushed === `refs/tags/${ref}`;
}

export { isLoopback } from './guard.js';

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
