import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitSyncError } from './errors.js';
import type { Redactor } from './redact.js';

export interface AuthOptions {
  username?: string;
  password?: string;
  passwordFile?: string;
  sshKeyFile: string[];
  sshKnownHosts: boolean;
  sshKnownHostsFile: string;
}

// git runs this for "Username for …" and "Password for …" prompts; the values come from the
// environment of that one git command, so they never appear on a command line or in a file.
const ASKPASS = `#!/bin/sh
case "$1" in
  [Uu]sername*) printf '%s\\n' "$GITSYNC_ASKPASS_USERNAME" ;;
  *) printf '%s\\n' "$GITSYNC_ASKPASS_PASSWORD" ;;
esac
`;

/** Builds the auth part of git's environment: an askpass script for HTTP, GIT_SSH_COMMAND for ssh. */
export class Auth {
  private askpassDir: string | undefined;

  constructor(
    private readonly options: AuthOptions,
    private readonly redactor: Redactor,
  ) {
    redactor.add(options.password);
    if (options.username && options.password) redactor.addBasicAuth(options.username, options.password);
  }

  /** Env for the next sync; re-reads --password-file so a rotated secret is used at once. */
  async env(): Promise<Record<string, string>> {
    const env: Record<string, string> = {
      // Never block on a prompt: a missing credential is an error, not a hang.
      GIT_TERMINAL_PROMPT: '0',
      GIT_SSH_COMMAND: this.sshCommand(),
      SSH_ASKPASS_REQUIRE: 'never',
    };
    const password = await this.password();
    if (this.options.username || password !== undefined) {
      env.GIT_ASKPASS = await this.askpass();
      env.GITSYNC_ASKPASS_USERNAME = this.options.username ?? '';
      env.GITSYNC_ASKPASS_PASSWORD = password ?? '';
    }
    return env;
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

  private async askpass(): Promise<string> {
    if (!this.askpassDir) this.askpassDir = await mkdtemp(join(tmpdir(), 'git-sync-askpass-'));
    const script = join(this.askpassDir, 'askpass.sh');
    if (!existsSync(script)) {
      await writeFile(script, ASKPASS, { mode: 0o700 });
      await chmod(script, 0o700);
    }
    return script;
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

  async dispose(): Promise<void> {
    if (this.askpassDir) await rm(this.askpassDir, { recursive: true, force: true });
    this.askpassDir = undefined;
  }
}

/** Single-quotes for the shell git runs GIT_SSH_COMMAND through. */
function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
