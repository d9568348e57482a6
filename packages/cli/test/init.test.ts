import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { git } from '../src/git.js';
import { removeTempDirs, runCli, tempDir } from './helpers.js';

const KUBECTL = '/usr/bin/kubectl';
const exec = promisify(execFile);

/** `docker compose` (v2) or `docker-compose` (1.29), whichever this machine has. */
async function composeCommand(): Promise<string[] | undefined> {
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    const works = await exec(command[0]!, [...command.slice(1), 'version'], { timeout: 20_000 }).then(
      () => true,
      () => false,
    );
    if (works) return command;
  }
  return undefined;
}

afterEach(removeTempDirs);

describe('gitpaas init', () => {
  it('writes Compose and kustomize files for the repository that render', async () => {
    const cwd = await tempDir();
    const repo = 'https://git.example.invalid/team/My_Shop.git';
    const { code, stdout, stderr } = await runCli(['init', `--repo=${repo}`, '--dir=deploy'], { cwd });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('compose.yaml');

    const compose = parse(await readFile(join(cwd, 'deploy/compose.yaml'), 'utf8'));
    expect(Object.keys(compose.services)).toEqual(['git-sync', 'app']);
    expect(compose.services['git-sync'].image).toContain('ghcr.io/gitpaas/git-sync');
    expect(compose.services.app.image).toContain('ghcr.io/gitpaas/app');
    expect(await readFile(join(cwd, 'deploy/.env'), 'utf8')).toContain(`GITPAAS_REPO=${repo}`);

    const composeCli = await composeCommand();
    if (composeCli) {
      // Compose itself validates the file, with the .env beside it
      await exec(composeCli[0]!, [...composeCli.slice(1), 'config', '-q'], {
        cwd: join(cwd, 'deploy'),
        timeout: 30_000,
      });
    }

    const k8s = join(cwd, 'deploy/k8s');
    for (const file of ['kustomization.yaml', 'deployment.yaml', 'service.yaml']) {
      for (const doc of parseAllDocuments(await readFile(join(k8s, file), 'utf8')))
        expect(doc.errors).toEqual([]);
    }
    if (existsSync(KUBECTL)) {
      const { stdout: rendered } = await exec(KUBECTL, ['kustomize', k8s]);
      const kinds = parseAllDocuments(rendered).map((doc) => doc.toJS().kind);
      expect(kinds.sort()).toEqual(['ConfigMap', 'Deployment', 'Service']);
      expect(rendered).toContain('name: my-shop');
      expect(rendered).toContain('image: ghcr.io/gitpaas/app:');
    }
  });

  it('refuses to overwrite existing files without --force, and overwrites with it', async () => {
    const cwd = await tempDir();
    const first = await runCli(['init', '--repo=https://git.example.invalid/a.git'], { cwd });
    expect(first.code).toBe(0);
    const path = join(cwd, 'gitpaas-deploy/.env');
    const before = await readFile(path, 'utf8');

    const again = await runCli(['init', '--repo=https://git.example.invalid/b.git'], { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/already exists: pass --force/);
    expect(await readFile(path, 'utf8')).toBe(before);

    const forced = await runCli(['init', '--repo=https://git.example.invalid/b.git', '--force'], { cwd });
    expect(forced.code).toBe(0);
    expect(await readFile(path, 'utf8')).toContain('GITPAAS_REPO=https://git.example.invalid/b.git');
  });

  it("uses the clone's origin remote when --repo is not given", async () => {
    const cwd = await tempDir();
    await git(['init', '--quiet', cwd]);
    await git(['remote', 'add', 'origin', 'git@git.example.invalid:team/api.git'], { cwd });
    const { code } = await runCli(['init'], { cwd });
    expect(code).toBe(0);
    expect(await readFile(join(cwd, 'gitpaas-deploy/k8s/config.env'), 'utf8')).toContain(
      'GITSYNC_REPO=git@git.example.invalid:team/api.git',
    );
  });

  it('leaves a token in the origin URL out of the files and the output, and says where it belongs', async () => {
    const cwd = await tempDir();
    await git(['init', '--quiet', cwd]);
    const token = 's3cret-token-42';
    await git(['remote', 'add', 'origin', `https://deploy:${token}@git.example.invalid/team/shop.git`], {
      cwd,
    });
    const { code, stdout, stderr } = await runCli(['init'], { cwd });
    expect(code, stderr).toBe(0);
    expect(stdout).not.toContain(token);
    expect(stderr).not.toContain(token);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /left out of the files: give it to git-sync as GITSYNC_USERNAME \+ GITSYNC_PASSWORD/,
    );
    for (const file of [
      'compose.yaml',
      '.env',
      'k8s/kustomization.yaml',
      'k8s/config.env',
      'k8s/deployment.yaml',
    ]) {
      expect(await readFile(join(cwd, 'gitpaas-deploy', file), 'utf8')).not.toContain(token);
    }
    expect(await readFile(join(cwd, 'gitpaas-deploy/k8s/config.env'), 'utf8')).toContain(
      'GITSYNC_REPO=https://git.example.invalid/team/shop.git',
    );
  });

  it('says to pass --repo when there is no origin remote', async () => {
    const cwd = await tempDir();
    const { code, stderr } = await runCli(['init'], { cwd });
    expect(code).toBe(2);
    expect(stderr).toMatch(/pass --repo <url>/);
  });
});
