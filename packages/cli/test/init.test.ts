import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git, makeTempDir } from '@gitpaas/test-utils';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { cleanUpAfter, runCli } from './helpers.js';

/** The first of these commands whose `version` runs here, or undefined (the tests that need it say so). */
async function firstWorking(...commands: string[][]): Promise<string[] | undefined> {
  for (const command of commands) {
    const version = [...command.slice(1), 'version', ...(command[0] === 'kubectl' ? ['--client'] : [])];
    const works = await execa(command[0]!, version, { timeout: 20_000 }).then(
      () => true,
      () => false,
    );
    if (works) return command;
  }
  return undefined;
}

// `docker compose` (v2) or `docker-compose` (1.29); kubectl for kustomize. CI installs both.
const COMPOSE = await firstWorking(['docker', 'compose'], ['docker-compose']);
const KUBECTL = await firstWorking(['kubectl']);
const noCompose = COMPOSE ? '' : ' (skipped: neither docker compose nor docker-compose is installed)';
const noKubectl = KUBECTL ? '' : ' (skipped: kubectl is not installed)';

/** A command with everything that breaks hand-written YAML and .env files: `: `, `#`, both quotes. */
const TRICKY_COMMAND = `node -e "console.log('a: b') # x"`;

cleanUpAfter();

/** `gitpaas init` in a new temp dir; returns where it wrote. */
async function init(args: string[]): Promise<{ dir: string; stdout: string }> {
  const cwd = await makeTempDir('gitpaas-cli-test-');
  const { code, stdout, stderr } = await runCli(['init', ...args, '--dir=deploy'], { cwd });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return { dir: join(cwd, 'deploy'), stdout };
}

/** What Compose makes of the files, with the .env beside them. */
async function composeConfig(dir: string): Promise<{ services: Record<string, Record<string, unknown>> }> {
  const { stdout } = await execa(COMPOSE![0]!, [...COMPOSE!.slice(1), 'config'], {
    cwd: dir,
    timeout: 30_000,
  });
  return parse(stdout);
}

interface Container {
  name: string;
  image: string;
  args?: string[];
  envFrom?: Array<{ configMapRef: { name: string } }>;
}

interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { template?: { spec: { containers: Container[] } } };
}

const containers = (deployment: K8sObject) => deployment.spec!.template!.spec.containers;

async function kustomize(dir: string): Promise<K8sObject[]> {
  const { stdout } = await execa(KUBECTL![0]!, ['kustomize', join(dir, 'k8s')], { timeout: 30_000 });
  return parseAllDocuments(stdout).map((doc) => doc.toJS());
}

describe('gitpaas init', () => {
  it('writes Compose and kustomize files for the repository', async () => {
    const repo = 'https://git.example.invalid/team/My_Shop.git';
    const { dir, stdout } = await init([`--repo=${repo}`]);
    expect(stdout).toContain('compose.yaml');
    const compose = parse(await readFile(join(dir, 'compose.yaml'), 'utf8'));
    expect(Object.keys(compose.services)).toEqual(['git-sync', 'app']);
    expect(compose.services['git-sync'].image).toContain('ghcr.io/gitpaas/git-sync');
    expect(compose.services.app.image).toContain('ghcr.io/gitpaas/app');
    expect(await readFile(join(dir, '.env'), 'utf8')).toContain(`GITPAAS_REPO=${repo}`);
    for (const file of ['kustomization.yaml', 'deployment.yaml', 'service.yaml', 'service-sync.yaml']) {
      for (const doc of parseAllDocuments(await readFile(join(dir, 'k8s', file), 'utf8')))
        expect(doc.errors).toEqual([]);
    }
  });

  it.skipIf(!COMPOSE)(
    `gives files that docker compose accepts, publishing the app on --port${noCompose}`,
    async () => {
      const { dir } = await init(['--repo=https://git.example.invalid/team/shop.git', '--port=3000']);
      const config = await composeConfig(dir);
      expect(config.services['git-sync']!.environment).toMatchObject({
        GITSYNC_REPO: 'https://git.example.invalid/team/shop.git',
      });
      const [port] = config.services.app!.ports as Array<string | Record<string, unknown>>;
      // docker-compose 1.29 shows the short form, Compose v2 the long one
      const shown =
        typeof port === 'string'
          ? port
          : `${port!.host_ip}:${port!.published}:${port!.target}/${port!.protocol}`;
      expect(shown).toBe('127.0.0.1:3000:8080/tcp');
    },
  );

  it.skipIf(!KUBECTL)(
    `gives files that kubectl kustomize renders, named after the app${noKubectl}`,
    async () => {
      const { dir } = await init(['--repo=https://git.example.invalid/team/My_Shop.git', '--tag=1.0']);
      const objects = await kustomize(dir);
      expect(objects.map((object) => object.kind).sort()).toEqual([
        'ConfigMap',
        'Deployment',
        'Service',
        'Service',
      ]);
      const deployment = objects.find((object) => object.kind === 'Deployment')!;
      const [service, syncService] = objects.filter((object) => object.kind === 'Service');
      const config = objects.find((object) => object.kind === 'ConfigMap')!;
      expect(deployment.metadata.name).toBe('my-shop');
      expect(service!.metadata.name).toBe('my-shop');
      expect(syncService!.metadata.name).toBe('my-shop-sync');
      expect(config.data!.GITSYNC_REPO).toBe('https://git.example.invalid/team/My_Shop.git');
      const images = containers(deployment).map((container) => container.image);
      // 1.0 stays a string: a hand-written `newTag: 1.0` would be the number 1
      expect(images).toEqual(['ghcr.io/gitpaas/git-sync:1.0', 'ghcr.io/gitpaas/app:1.0']);
      expect(containers(deployment)[0]!.envFrom![0]!.configMapRef.name).toBe(config.metadata.name);
    },
  );

  it.skipIf(!COMPOSE)(
    `keeps a command with ": ", "#" and quotes whole, for Compose${noCompose}`,
    async () => {
      const { dir } = await init(['--repo=https://git.example.invalid/a.git', `--command=${TRICKY_COMMAND}`]);
      const { environment } = (await composeConfig(dir)).services.app!;
      expect((environment as Record<string, string>).APP_COMMAND).toBe(TRICKY_COMMAND);
    },
  );

  it.skipIf(!KUBECTL)(
    `keeps a command with ": ", "#" and quotes whole, for Kubernetes${noKubectl}`,
    async () => {
      const { dir } = await init(['--repo=https://git.example.invalid/a.git', `--command=${TRICKY_COMMAND}`]);
      const deployment = (await kustomize(dir)).find((object) => object.kind === 'Deployment')!;
      const app = containers(deployment).find((container) => container.name === 'app');
      expect(app?.args).toEqual(['sh', '-c', TRICKY_COMMAND]);
    },
  );

  it('refuses to overwrite existing files without --force, and overwrites with it', async () => {
    const cwd = await makeTempDir('gitpaas-cli-test-');
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
    const cwd = await makeTempDir('gitpaas-cli-test-');
    await git(cwd, 'init', '--quiet');
    await git(cwd, 'remote', 'add', 'origin', 'git@git.example.invalid:team/api.git');
    const { code } = await runCli(['init'], { cwd });
    expect(code).toBe(0);
    expect(await readFile(join(cwd, 'gitpaas-deploy/k8s/kustomization.yaml'), 'utf8')).toContain(
      'GITSYNC_REPO=git@git.example.invalid:team/api.git',
    );
  });

  it('leaves a token in the origin URL out of the files and the output, and says where it belongs', async () => {
    const cwd = await makeTempDir('gitpaas-cli-test-');
    await git(cwd, 'init', '--quiet');
    const token = 's3cret-token-42';
    await git(cwd, 'remote', 'add', 'origin', `https://deploy:${token}@git.example.invalid/team/shop.git`);
    const { code, stdout, stderr } = await runCli(['init'], { cwd });
    expect(code, stderr).toBe(0);
    expect(stdout).not.toContain(token);
    expect(stderr).not.toContain(token);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /left out of the files: give it to git-sync as GITSYNC_USERNAME \+ GITSYNC_PASSWORD/,
    );
    for (const file of ['compose.yaml', '.env', 'k8s/kustomization.yaml', 'k8s/deployment.yaml']) {
      expect(await readFile(join(cwd, 'gitpaas-deploy', file), 'utf8')).not.toContain(token);
    }
    expect(await readFile(join(cwd, 'gitpaas-deploy/k8s/kustomization.yaml'), 'utf8')).toContain(
      'GITSYNC_REPO=https://git.example.invalid/team/shop.git',
    );
  });

  it('says how each revision of the clone it runs in will be built and started', async () => {
    const cwd = await makeTempDir('gitpaas-cli-test-');
    await git(cwd, 'init', '--quiet');
    await git(cwd, 'remote', 'add', 'origin', 'https://git.example.invalid/team/web.git');
    await writeFile(
      join(cwd, 'package.json'),
      JSON.stringify({ scripts: { start: 'node web.js' }, dependencies: { express: '4' } }),
    );
    const { code, stdout } = await runCli(['init'], { cwd });
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /Each revision is built and started as detected in .*:\n {2}node \(package\.json, no lockfile\): install `npm install/,
    );
    const empty = await makeTempDir('gitpaas-cli-test-');
    await git(empty, 'init', '--quiet');
    const none = await runCli(['init', '--repo=https://git.example.invalid/a.git'], { cwd: empty });
    expect(none.stdout).toMatch(
      /none detected in .*\):\nset APP_COMMAND in \.env .* or run again with --command/s,
    );
  });

  it('writes --build and --ready-path where the reloader reads them', async () => {
    const { dir } = await init([
      '--repo=https://git.example.invalid/a.git',
      '--build=make',
      '--ready-path=/up',
    ]);
    const env = await readFile(join(dir, '.env'), 'utf8');
    expect(env).toMatch(/^GITPAAS_BUILD=make$/m);
    expect(env).toMatch(/^GITPAAS_READY_PATH=\/up$/m);
    const deployment = await readFile(join(dir, 'k8s', 'deployment.yaml'), 'utf8');
    expect(deployment).toContain('{ name: GITPAAS_READY_PATH, value: /up }');
  });

  it('says to pass --repo when there is no origin remote', async () => {
    const cwd = await makeTempDir('gitpaas-cli-test-');
    const { code, stderr } = await runCli(['init'], { cwd });
    expect(code).toBe(2);
    expect(stderr).toMatch(/pass --repo <url>/);
  });
});
