import type { OptionSpec, ParsedOptions } from '@gitpaas/core';
import { GitSyncError } from './errors.js';

const group = 'Deprecated (kubernetes/git-sync v3 names)';

/**
 * kubernetes/git-sync v4 still honours the v3 flags (and their GIT_SYNC_* env), so deployments
 * upgraded from v3 keep `GIT_SYNC_BRANCH`, `GIT_SYNC_DEST`, `GIT_SYNC_WAIT`…. Ignoring them
 * would silently sync the wrong branch into the wrong link, so the bin maps them as the peer does.
 * Only the bin reads them: they are not part of the library options or `gitpaas up`.
 */
export const v3Options: OptionSpec[] = [
  {
    name: 'branch',
    type: 'string',
    group,
    help: 'deprecated: use --ref (sets it when --rev is unset or HEAD)',
  },
  { name: 'rev', type: 'string', group, help: 'deprecated: use --ref (sets it when --branch is unset)' },
  { name: 'dest', type: 'string', group, help: 'deprecated: use --link' },
  {
    name: 'wait',
    type: 'string',
    valueName: '<seconds>',
    group,
    help: 'deprecated: use --period (a number of seconds, e.g. 0.5)',
  },
  {
    name: 'timeout',
    type: 'int',
    valueName: '<seconds>',
    group,
    help: 'deprecated: use --sync-timeout (whole seconds)',
  },
  { name: 'max-sync-failures', type: 'int', group, help: 'deprecated: use --max-failures' },
  {
    name: 'sync-hook-command',
    type: 'string',
    extraEnv: ['GIT_SYNC_HOOK_COMMAND'],
    group,
    help: 'deprecated: use --exechook-command',
  },
  { name: 'ssh', type: 'bool', group, help: 'deprecated: no longer needed (ignored)' },
  {
    name: 'change-permissions',
    type: 'int',
    extraEnv: ['GIT_SYNC_PERMISSIONS'],
    group,
    help: 'deprecated: no longer supported (a non-zero value is an error)',
  },
];

type Values = ParsedOptions['values'];

const bad = (message: string) => new GitSyncError('E_BAD_FLAG', message);

/**
 * Moves v3 values onto their v4 flags (a set v3 value wins, as in kubernetes/git-sync) and drops
 * the v3 keys. Returns the notes to log, one per flag that was mapped.
 */
export function applyV3Flags(input: Values): { values: Values; notes: string[] } {
  const {
    branch,
    rev,
    dest,
    wait,
    timeout,
    maxSyncFailures,
    syncHookCommand,
    ssh: _ssh,
    changePermissions,
    ...values
  } = input;
  const notes: string[] = [];
  const set = (key: string, value: unknown, note: string) => {
    values[key] = value as Values[string];
    notes.push(note);
  };
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

  const br = text(branch);
  const rv = text(rev);
  if (br && rv && rv !== 'HEAD') {
    throw bad('--branch and --rev cannot both set --ref: use --ref (a branch, tag or hash) instead');
  }
  if (br) set('ref', br, 'setting --ref from deprecated --branch');
  else if (rv) set('ref', rv, 'setting --ref from deprecated --rev');
  if (text(dest)) set('link', dest, 'setting --link from deprecated --dest');
  if (text(wait)) {
    const seconds = Number(wait);
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw bad(
        `--wait: ${JSON.stringify(wait)} is not a number of seconds: use --period (e.g. --period 10s)`,
      );
    }
    if (seconds !== 0) set('period', Math.floor(seconds * 1000), 'setting --period from deprecated --wait');
  }
  if (typeof timeout === 'number' && timeout !== 0) {
    set('syncTimeout', timeout * 1000, 'setting --sync-timeout from deprecated --timeout');
  }
  if (typeof maxSyncFailures === 'number' && maxSyncFailures !== 0) {
    set('maxFailures', maxSyncFailures, 'setting --max-failures from deprecated --max-sync-failures');
  }
  if (text(syncHookCommand)) {
    set('exechookCommand', syncHookCommand, 'setting --exechook-command from deprecated --sync-hook-command');
  }
  if (typeof changePermissions === 'number' && changePermissions !== 0) {
    throw bad('--change-permissions is no longer supported: remove it (and GIT_SYNC_PERMISSIONS)');
  }
  return { values, notes };
}
