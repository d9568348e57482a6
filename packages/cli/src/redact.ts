/** A URL without its password or token (`https://user:secret@host/x` → `https://user:***@host/x`). */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/i, (_, scheme: string, userinfo: string) => {
    const user = userinfo.split(':')[0];
    return userinfo.includes(':') ? `${scheme}${user}:***@` : `${scheme}***@`;
  });
}

/**
 * The URL with its password or token taken out, and whether there was one: files that
 * `gitpaas init` writes (a ConfigMap, a .env that may get committed) must not carry it.
 */
export function withoutCredentials(repo: string): { url: string; stripped: boolean } {
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    // scp-like ssh addresses (git@host:path) carry no secret
    return { url: repo, stripped: false };
  }
  // `https://token@host` puts a token where the username goes; `ssh://git@host` does not.
  const secret = url.password !== '' || (url.username !== '' && /^(https?|ftps?):$/.test(url.protocol));
  if (!secret) return { url: repo, stripped: false };
  url.username = '';
  url.password = '';
  return { url: url.href, stripped: true };
}

/** The secret strings a sync configuration carries: a password in the URL, --password. */
export function secretsOf(sync: { repo: string; password?: string }): string[] {
  const secrets: string[] = [];
  try {
    const { password, username } = new URL(sync.repo);
    // `https://token@host` puts a token where the username goes.
    if (password) secrets.push(decodeURIComponent(password));
    else if (username && /^(https?|ftps?):$/.test(new URL(sync.repo).protocol)) {
      secrets.push(decodeURIComponent(username));
    }
  } catch {
    // scp-like ssh addresses (git@host:path) carry no secret
  }
  if (sync.password) secrets.push(sync.password);
  return secrets.filter((secret) => secret.length >= 3);
}

/** Replaces every occurrence of the secrets with `***` (belt and braces for what we serve). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}
