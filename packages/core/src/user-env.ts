/** Prefixes of gitpaas's own settings: git-sync's (`GITSYNC_*`, v3 `GIT_SYNC_*`) and the reloader's and CLI's (`GITPAAS_*`). */
const OWN_PREFIXES = ['GITSYNC_', 'GIT_SYNC_', 'GITPAAS_'] as const;

/** git-sync's env names outside those prefixes: kubernetes/git-sync's ssh credential variables. */
const OWN_NAMES = new Set(['GIT_SSH_KEY_FILE', 'GIT_KNOWN_HOSTS', 'GIT_SSH_KNOWN_HOSTS_FILE']);

/** Whether an environment variable is a setting of gitpaas itself (which may hold a credential or a trigger secret). */
export function isGitpaasSetting(name: string): boolean {
  const upper = name.toUpperCase();
  return OWN_NAMES.has(upper) || OWN_PREFIXES.some((prefix) => upper.startsWith(prefix));
}

/**
 * The environment for what gitpaas runs on the user's behalf — the app, its build, git-sync's
 * hooks: the caller's, without gitpaas's own settings (so no git password, token, key path or
 * trigger secret reaches a program that may print or send its environment). PATH, HOME, LANG,
 * NODE_* and every other variable stay; the caller then adds what the program needs (PORT, …).
 */
export function userEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) if (!isGitpaasSetting(name)) out[name] = value;
  return out;
}
