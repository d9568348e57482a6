import { readFile, stat } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type { Redactor } from '@gitpaas/core';
import { GitSyncError } from './errors.js';

export type SignatureFormat = 'github' | 'gitea' | 'gitlab' | 'gitpaas' | 'bearer';

export type SignatureCheck = { ok: true; format: SignatureFormat } | { ok: false; reason: string };

/**
 * Header → how its value is checked, in the order they are looked for. Gitea and Forgejo send
 * `X-Gitea-Signature` (and the same value as `X-Gogs-Signature`) plus GitHub's header.
 */
const FORMATS: ReadonlyArray<{
  header: string;
  format: SignatureFormat;
  kind: 'hmac' | 'token';
  prefix: string;
}> = [
  { header: 'x-hub-signature-256', format: 'github', kind: 'hmac', prefix: 'sha256=' },
  { header: 'x-gitpaas-signature', format: 'gitpaas', kind: 'hmac', prefix: 'sha256=' },
  { header: 'x-gitea-signature', format: 'gitea', kind: 'hmac', prefix: '' },
  { header: 'x-gogs-signature', format: 'gitea', kind: 'hmac', prefix: '' },
  { header: 'x-gitlab-token', format: 'gitlab', kind: 'token', prefix: '' },
  // The secret itself, as a person types it into the dashboard or a script sends it with curl.
  { header: 'authorization', format: 'bearer', kind: 'token', prefix: 'bearer ' },
];

export const SIGNATURE_HEADERS = FORMATS.map((f) => f.header);

/** node:crypto on the first signature: a git-sync that is never triggered does not load it at start-up. */
const crypto = () => createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');

/**
 * Verifies a push notification against the shared secret: HMAC-SHA256 of the raw body for
 * GitHub, Gitea/Forgejo and the generic header, the plain token for GitLab and for
 * `Authorization: Bearer`. The first header present decides. Comparisons take constant time.
 */
export function verifySignature(headers: IncomingHttpHeaders, body: Buffer, secret: Buffer): SignatureCheck {
  for (const { header, format, kind, prefix } of FORMATS) {
    const raw = headers[header];
    if (raw === undefined) continue;
    const value = (Array.isArray(raw) ? raw[0] : raw)?.trim() ?? '';
    const prefixed = value.toLowerCase().startsWith(prefix);
    if (kind === 'token') {
      // Hash both sides so the comparison neither leaks the token's length nor needs equal lengths.
      const token = prefixed ? value.slice(prefix.length).trim() : '';
      return prefixed && sameBytes(sha256(Buffer.from(token, 'utf8')), sha256(secret))
        ? { ok: true, format }
        : { ok: false, reason: `${header} does not match the trigger secret` };
    }
    if (!prefixed || !/^[0-9a-f]{64}$/i.test(value.slice(prefix.length))) {
      return { ok: false, reason: `${header} is not ${prefix}<64 hex digits>` };
    }
    const given = Buffer.from(value.slice(prefix.length), 'hex');
    const expected = crypto().createHmac('sha256', secret).update(body).digest();
    return sameBytes(given, expected)
      ? { ok: true, format }
      : { ok: false, reason: `${header} does not match the body signed with the trigger secret` };
  }
  return { ok: false, reason: `no signature header (one of ${SIGNATURE_HEADERS.join(', ')})` };
}

/** The signature a sender puts in `X-Gitpaas-Signature` (or GitHub's header). */
export function signBody(body: Buffer | string, secret: Buffer | string): string {
  return `sha256=${crypto().createHmac('sha256', secret).update(body).digest('hex')}`;
}

function sha256(data: Buffer): Buffer {
  return crypto().createHash('sha256').update(data).digest();
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && crypto().timingSafeEqual(a, b);
}

/**
 * The trigger secret from `--trigger-secret-file`, read again whenever the file changes
 * (a rotated Kubernetes Secret is a new file behind a symlink, so stat follows links).
 * Trailing line breaks are not part of the secret.
 */
export class SecretFile {
  readonly path: string;
  #stamp = '';
  #secret: Buffer | null = null;

  /** `redactor` learns each secret read, so no log line or app output shows it. */
  constructor(
    path: string,
    private readonly redactor?: Redactor,
  ) {
    this.path = path;
  }

  /** Rejects with E_TRIGGER_SECRET when the file is missing, unreadable or empty. */
  async read(): Promise<Buffer> {
    const info = await stat(this.path).catch((error: NodeJS.ErrnoException) => {
      throw new GitSyncError(
        'E_TRIGGER_SECRET',
        `cannot read --trigger-secret-file ${this.path} (${error.code ?? error.message}): mount the secret there`,
        { cause: error },
      );
    });
    const stamp = `${info.ino}:${info.size}:${info.mtimeMs}`;
    if (this.#secret && stamp === this.#stamp) return this.#secret;
    const content = await readFile(this.path);
    let end = content.length;
    while (end > 0 && (content[end - 1] === 0x0a || content[end - 1] === 0x0d)) end--;
    if (end === 0) {
      throw new GitSyncError(
        'E_TRIGGER_SECRET',
        `trigger secret file ${this.path} is empty: put the webhook secret in it`,
      );
    }
    this.#secret = content.subarray(0, end);
    this.redactor?.add(this.#secret.toString());
    this.#stamp = stamp;
    return this.#secret;
  }
}
