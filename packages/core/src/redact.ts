export const REDACTED = 'REDACTED';

/** Shortest secret worth replacing; a one- or two-character "secret" would shred every line. */
export const MIN_SECRET_LENGTH = 3;

// scheme://userinfo@ — the userinfo part of any URL in free text.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^/@\s'"]+)@/gi;

/**
 * The single place secrets are removed: every log line, error message, status document and
 * metric label passes through one instance. Knows the secrets it was told about (passwords,
 * password-file contents, tokens found in URLs) and strips credentials from any URL.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  /** Registers a secret (also its URL-encoded and basic-auth forms). */
  add(secret: string | undefined | null): void {
    const value = secret?.trim();
    if (!value || value.length < MIN_SECRET_LENGTH) return;
    this.secrets.add(value);
    this.secrets.add(encodeURIComponent(value));
    if (secret !== value && secret && secret.length >= MIN_SECRET_LENGTH) this.secrets.add(secret);
  }

  /** Registers the credentials embedded in a URL (`https://user:token@host`). */
  addUrl(url: string): void {
    try {
      const parsed = new URL(url);
      if (parsed.password) {
        this.add(decodeURIComponent(parsed.password));
        this.add(parsed.password);
        if (parsed.username) {
          this.add(
            Buffer.from(
              `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`,
            ).toString('base64'),
          );
        }
      } else if (parsed.username && isHttp(parsed.protocol)) {
        // A lone user part of an http(s) URL is usually a token (https://<token>@host/repo).
        this.add(decodeURIComponent(parsed.username));
        this.add(parsed.username);
      }
    } catch {
      // Not a URL git-sync can parse (scp-style `user@host:path`): nothing secret in it.
    }
  }

  /** Registers `user:password` as sent in a basic-auth header. */
  addBasicAuth(username: string, password: string): void {
    this.add(password);
    this.add(Buffer.from(`${username}:${password}`).toString('base64'));
  }

  redact(text: string): string {
    let out = text.replace(URL_USERINFO, (_match, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      if (colon >= 0) return `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@`;
      return isHttp(scheme.replace('//', '')) ? `${scheme}${REDACTED}@` : `${scheme}${userinfo}@`;
    });
    // Longest first, so a secret that contains another is removed whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }

  /** Every secret registered so far (to hand to another redactor, never to print). */
  get known(): readonly string[] {
    return [...this.secrets];
  }

  /** Redacts every string inside a JSON-able value. */
  redactValue<T>(value: T): T {
    return redactStrings(value, (text) => this.redact(text));
  }
}

/** Applies `redact` to every string inside a JSON-able value (an Error becomes its redacted message). */
export function redactStrings<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, redact)) as T;
  if (value instanceof Error) return redact(value.message) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = redactStrings(item, redact);
    return out as T;
  }
  return value;
}

function isHttp(protocol: string): boolean {
  return /^https?:$/i.test(protocol);
}
