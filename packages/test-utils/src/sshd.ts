import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@gitpaas/core';
import { execa, type ResultPromise } from 'execa';
import { gitEnv } from './git.js';
import { freePort } from './ports.js';

export const SSHD = '/usr/sbin/sshd';
/** Why ssh tests are skipped, or null when they can run. */
export const sshdMissing: string | null = existsSync(SSHD)
  ? null
  : `${SSHD} is absent: install openssh-server (apt-get install -y openssh-server) to run the ssh tests`;

export interface TestSshd {
  port: number;
  user: string;
  /** Private key sshd accepts for `user`. */
  clientKeyFile: string;
  /** A known_hosts file holding this server's host key for [127.0.0.1]:port. */
  knownHostsFile: string;
  /** `ssh://user@127.0.0.1:port` — append an absolute repository path. */
  url: string;
  stop(): Promise<void>;
}

/** Runs a real sshd on 127.0.0.1 (free port) with its own host key and authorized_keys in `dir`. */
export async function startSshd(dir: string): Promise<TestSshd> {
  if (sshdMissing) throw new Error(sshdMissing);
  await mkdir(dir, { recursive: true });
  const hostKey = join(dir, 'host_ed25519');
  const clientKeyFile = join(dir, 'client_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKeyFile]);
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, await readFile(`${clientKeyFile}.pub`));
  await chmod(authorizedKeys, 0o600);
  // Privilege separation needs this directory when sshd runs as root.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }).catch(() => {});
  const user = userInfo().username;

  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = join(dir, `sshd_config_${port}`);
    await writeFile(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        `PidFile ${join(dir, `sshd_${port}.pid`)}`,
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'PermitRootLogin prohibit-password',
        `AllowUsers ${user}`,
        `SetEnv PATH=${process.env.PATH}`,
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const child: ResultPromise = execa(SSHD, ['-D', '-e', '-f', config], {
      reject: false,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const hostPub = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
    const knownHostsFile = join(dir, `known_hosts_${port}`);
    await writeFile(knownHostsFile, `[127.0.0.1]:${port} ${hostPub}\n`);
    const url = `ssh://${user}@127.0.0.1:${port}`;
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await child;
    };
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`sshd exited: ${String((await child).stderr)}`);
          const probe = await execa(
            'ssh',
            [
              '-p',
              String(port),
              '-i',
              clientKeyFile,
              '-o',
              'BatchMode=yes',
              '-o',
              'IdentitiesOnly=yes',
              '-o',
              `UserKnownHostsFile=${knownHostsFile}`,
              '-o',
              'StrictHostKeyChecking=yes',
              `${user}@127.0.0.1`,
              'true',
            ],
            { env: gitEnv, reject: false, timeout: 10_000 },
          );
          return probe.exitCode === 0;
        },
        { timeout: 20_000, message: `sshd on port ${port}` },
      );
      return { port, user, clientKeyFile, knownHostsFile, url, stop };
    } catch (error) {
      await stop();
      if (attempt >= 2) throw error;
    }
  }
}
