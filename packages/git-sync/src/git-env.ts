import type { Redactor } from '@gitpaas/core';

// Set for every git command: root may be a volume owned by another UID (git would call it
// "dubious ownership"); gc must finish before git-sync goes on, and drop objects at once — no
// reflog may pin them (none are written, and gc expires old ones).
const BUILT_IN: Array<[string, string]> = [
  ['safe.directory', '*'],
  ['gc.autoDetach', 'false'],
  ['gc.pruneExpire', 'now'],
  ['core.logAllRefUpdates', 'false'],
  ['gc.reflogExpireUnreachable', 'now'],
  ['advice.detachedHead', 'false'],
];

/**
 * Git config passed as environment (GIT_CONFIG_COUNT/KEY_n/VALUE_n), never written to the user's
 * global config: the library may run inside someone else's process. User pairs come last and win.
 */
export function gitConfigEnv(
  base: NodeJS.ProcessEnv,
  pairs: Array<[string, string]>,
  redactor: Redactor,
): Record<string, string> {
  const env: Record<string, string> = {};
  let index = Number.parseInt(base.GIT_CONFIG_COUNT ?? '0', 10) || 0;
  for (const [key, value] of [...BUILT_IN, ...pairs]) {
    // Config values like http.extraHeader often carry tokens.
    if (/header|pass|token|secret|auth/i.test(key)) {
      redactor.add(value);
      redactor.add(value.replace(/^.*?:\s*(Basic |Bearer |token )?/i, ''));
    }
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
    index++;
  }
  env.GIT_CONFIG_COUNT = String(index);
  return env;
}

// Inherited from a git hook or a shell inside a repository, these would point git elsewhere.
const GIT_LOCATION_ENV = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_COMMON_DIR',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
  'GIT_CEILING_DIRECTORIES',
];

/** git-sync's own settings (GITSYNC_PASSWORD, a GITSYNC_REPO with a token…): none of git's business. */
const OWN_SETTINGS = /^GIT_?SYNC_/;

/** The environments of git commands: `local` for work on the repository, `remote` for the ones that talk to the remote. */
export interface GitEnvironments {
  local: Record<string, string>;
  /** `local` plus auth (credential helper, the secret, ssh command): only what reaches the remote gets it. */
  remote: Record<string, string>;
}

/**
 * The environments of every git command of one sync: this process's (without what would point git
 * at another repository, and without git-sync's own settings), the git config pairs, and for
 * commands that reach the remote, auth.
 */
export function gitEnvironment(
  auth: { env: Record<string, string>; config: Array<[string, string]> },
  pairs: Array<[string, string]>,
  redactor: Redactor,
): GitEnvironments {
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !GIT_LOCATION_ENV.includes(name) && !OWN_SETTINGS.test(name))
      base[name] = value;
  }
  return {
    local: { ...base, ...gitConfigEnv(base, pairs, redactor) },
    remote: { ...base, ...gitConfigEnv(base, [...auth.config, ...pairs], redactor), ...auth.env },
  };
}
