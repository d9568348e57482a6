import type { IncomingMessage, ServerResponse } from 'node:http';
import { GitSyncError } from './errors.js';
import type { Guard } from './guard.js';
import { type HttpRoutes, sendJson } from './http.js';
import { REVISION, type RollbackResult } from './rollback.js';

export const ROLLBACK_PATH = '/rollback';
/** A rollback request is a hash in a line of JSON; anything longer is not one. */
const MAX_BODY = 64 * 1024;

export interface RollbackRoutesOptions {
  guard: Guard;
  rollback(revision: string | undefined): Promise<RollbackResult>;
  /** Ends the pin and syncs the ref; false when nothing was pinned. */
  clear(): Promise<boolean>;
}

/** HTTP status for a rollback that could not be done. */
function statusOf(error: unknown): number {
  if (!(error instanceof GitSyncError)) return 500;
  if (error.code === 'E_ROLLBACK') return 404;
  if (error.code === 'E_ROLLBACK_REJECTED') return 409;
  if (error.code === 'E_STOPPED') return 503;
  return 500;
}

/** The body, or null once it passed `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * POST /rollback (`{"revision": "<hash or prefix>"}`, or no body for the previous kept revision)
 * publishes and pins a revision, answering once it is published; DELETE /rollback ends the pin
 * and syncs the ref. Both are protected like POST /sync.
 */
export function addRollbackRoutes(routes: HttpRoutes, options: RollbackRoutesOptions): void {
  const guarded =
    (run: (res: ServerResponse, body: Buffer) => Promise<void>) =>
    async (req: IncomingMessage, res: ServerResponse) => {
      const body = await readBody(req, MAX_BODY);
      if (body === null) {
        res.setHeader('connection', 'close');
        return sendJson(res, 413, { outcome: 'too_large', detail: `the body is over ${MAX_BODY} bytes` });
      }
      const verdict = await options.guard.check(req, body);
      if (!verdict.ok)
        return sendJson(res, verdict.status, { outcome: verdict.outcome, detail: verdict.detail });
      await run(res, body);
    };

  routes.add(
    'POST',
    ROLLBACK_PATH,
    guarded(async (res, body) => {
      let revision: string | undefined;
      try {
        const text = body.toString('utf8').trim();
        const parsed: unknown = text ? JSON.parse(text) : {};
        const given = (parsed as { revision?: unknown } | null)?.revision;
        if (given !== undefined && (typeof given !== 'string' || !REVISION.test(given))) throw given;
        revision = given;
      } catch {
        return sendJson(res, 400, {
          outcome: 'bad_request',
          detail: 'send {"revision": "<commit hash or prefix>"}, or no body for the previous kept revision',
        });
      }
      try {
        const result = await options.rollback(revision);
        sendJson(res, 200, { outcome: 'rolled-back', ...result });
      } catch (error) {
        const detail =
          error instanceof GitSyncError ? error.message : 'the rollback failed; see the git-sync log';
        const code = error instanceof GitSyncError ? error.code : 'E_INTERNAL';
        sendJson(res, statusOf(error), { outcome: 'error', code, detail });
      }
    }),
  );
  routes.add(
    'DELETE',
    ROLLBACK_PATH,
    guarded(async (res) => {
      sendJson(res, 202, { outcome: (await options.clear()) ? 'cleared' : 'not-pinned' });
    }),
  );
}
