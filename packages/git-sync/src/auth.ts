import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Redactor } from '@gitpaas/core';
import { GitSyncError } from './errors.js';

export interface AuthOptions {
  /** --repo: the credential is offered to its host only. */
  repo: string;
  username?: string;
  password?: string;
  passwordFile?: string;
  sshKeyFile: string[];
  sshKnownHosts: boolean;
  sshKnownHostsFile: string;
}

// An inline credential helper (git runs it through the shell) answering from the environment of
// that one git command: the secret is never on a command line, in a URL or in a file, and nothing
// has to be written to a possibly read-only filesystem. The empty entry first drops helpers the
// machine's git config may list, so a stale stored credential cannot win. The helper itself is
// scoped to the host of --repo (see credentialScope), so another host git talks to (a submodule
// server) is never offered this password.
const HELPER =
  '!f() { test "$1" = get && printf \'username=%s\\npassword=%s\\n\' "$GITSYNC_AUTH_USERNAME" "$GITSYNC_AUTH_PASSWORD"; }; f';

/** Builds the auth part of git's environment: a credential helper for HTTP, GIT_SSH_COMMAND for ssh. */
export class Auth {
  constructor(
    private readonly options: AuthOptions,
    private readonly redactor: Redactor,
  ) {
    redactor.add(options.password);
    // A token from --repo travels as the user name with an empty password: its header form is secret too.
    if (options.username && options.password !== undefined) {
      redactor.addBasicAuth(options.username, options.password);
    }
  }

  /**
   * Env for the next sync; re-reads --password-file so a rotated secret is used at once. Returns
   * git config pairs to add (the credential helper) separately, for the caller's GIT_CONFIG_* list.
   */
  async env(): Promise<{ env: Record<string, string>; config: Array<[string, string]> }> {
    const env: Record<string, string> = {
      // Never block on a prompt: a missing credential is an error, not a hang.
      GIT_TERMINAL_PROMPT: '0',
      GIT_SSH_COMMAND: this.sshCommand(),
      SSH_ASKPASS_REQUIRE: 'never',
    };
    const password = await this.password();
    if (!this.options.username && password === undefined) return { env, config: [] };
    env.GITSYNC_AUTH_USERNAME = this.options.username ?? '';
    env.GITSYNC_AUTH_PASSWORD = password ?? '';
    return {
      env,
      config: [
        ['credential.helper', ''],
        [`credential.${credentialScope(this.options.repo)}helper`, HELPER],
      ],
    };
  }

  private async password(): Promise<string | undefined> {
    if (this.options.passwordFile) {
      let text: string;
      try {
        text = await readFile(this.options.passwordFile, 'utf8');
      } catch (error) {
        throw new GitSyncError(
          'E_AUTH',
          `cannot read --password-file ${this.options.passwordFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}; check the path and its permissions`,
          { cause: error },
        );
      }
      // Files written by `echo` or editors end with a newline that is not part of the secret.
      const password = text.replace(/\r?\n$/, '');
      this.redactor.add(password);
      if (this.options.username) this.redactor.addBasicAuth(this.options.username, password);
      return password;
    }
    return this.options.password;
  }

  private sshCommand(): string {
    const parts = [process.env.GIT_SSH_COMMAND || 'ssh', '-o', 'BatchMode=yes'];
    const keys = this.options.sshKeyFile.filter((key) => existsSync(key));
    for (const key of keys) parts.push('-i', quote(key));
    if (keys.length) parts.push('-o', 'IdentitiesOnly=yes');
    if (this.options.sshKnownHosts) {
      parts.push(
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        `UserKnownHostsFile=${quote(this.options.sshKnownHostsFile)}`,
      );
    } else {
      parts.push('-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null');
    }
    return parts.join(' ');
  }
}

/**
 * The `<url>.` part of `credential.<url>.helper` for an http(s) --repo: scheme, host and port,
 * as kubernetes/git-sync's `git credential approve` stores it (git ignores the path for http).
 * Other transports never ask a credential helper, so they keep the unscoped key.
 */
export function credentialScope(repo: string): string {
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    return '';
  }
  return /^https?:$/.test(url.protocol) ? `${url.protocol}//${url.host}.` : '';
}

/** Single-quotes for the shell git runs GIT_SSH_COMMAND through. */
function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
