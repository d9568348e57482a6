export interface UrlCredentials {
  /** The URL with user and password taken out (unchanged when it carried no secret, or is not a URL). */
  url: string;
  /** URL-decoded; for `https://token@host` the token itself (git sends it as the user name). */
  username?: string;
  /** URL-decoded; '' for `https://token@host`. */
  password?: string;
  /** What must never be shown: the password, or the token standing in the user name. */
  secret?: string;
}

/**
 * Splits the credentials out of a git URL (`https://user:token@host/x`), so they can reach git
 * through a credential helper instead of its argv, and stay out of written files. ssh URLs and
 * scp-like addresses (`git@host:path`) name a user, never a secret: those are left as they are.
 */
export function splitUrlCredentials(repo: string): UrlCredentials {
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    return { url: repo };
  }
  if (!/^(https?|ftps?):$/.test(url.protocol) || (!url.username && !url.password)) return { url: repo };
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return { url: url.href, username, password, secret: password || username };
}
