import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEPLOY, durationMs, flagNames, flagOfEnv, hasCommand, readYaml, type Yaml } from './helpers.js';

const compose = readYaml('compose/compose.yaml');
const ci = readYaml('compose/compose.ci.yaml');
const COMPOSE_DIR = join(DEPLOY, 'compose');
const hasCompose = hasCommand('docker-compose');

describe('compose.yaml', () => {
  const config = (files: string[]) =>
    spawnSync('docker-compose', [...files.flatMap((f) => ['-f', f]), 'config', '-q'], {
      cwd: COMPOSE_DIR,
      encoding: 'utf8',
      env: { ...process.env, GITPAAS_REPO: 'https://example.com/app.git' },
    });

  it.skipIf(!hasCompose)(
    `docker-compose config -q accepts it, alone and with compose.ci.yaml${hasCompose ? '' : ' (skipped: docker-compose is not installed)'}`,
    () => {
      for (const files of [['compose.yaml'], ['compose.yaml', 'compose.ci.yaml']]) {
        const result = config(files);
        expect(result.stderr, files.join(' + ')).toBe('');
        expect(result.status).toBe(0);
      }
    },
  );

  it.skipIf(!hasCompose)(
    `docker-compose config accepts .env.example as the .env${hasCompose ? '' : ' (skipped: docker-compose is not installed)'}`,
    () => {
      const result = spawnSync('docker-compose', ['--env-file', '.env.example', 'config'], {
        cwd: COMPOSE_DIR,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      });
      expect(result.status, result.stderr).toBe(0);
      const config = parse(result.stdout);
      expect(config.services['git-sync'].environment.GITSYNC_REPO).toMatch(/^https:\/\//);
      // No command, build or ready path: detected per revision, ready on a TCP connect.
      expect(config.services.app.command).toBeUndefined();
      expect(config.services.app.environment).toMatchObject({
        APP_COMMAND: '',
        GITPAAS_BUILD: '',
        GITPAAS_READY_PATH: '',
      });
      expect(config.services.app.volumes).toContain('state:/var/lib/gitpaas:rw');
      expect(config.services.app.ports).toEqual([
        expect.objectContaining({ published: 5000, target: 8080 }),
        '127.0.0.1:9090:9090/tcp',
      ]);
    },
  );

  it.skipIf(!hasCompose)(
    `docker-compose refuses to start without GITPAAS_REPO, naming it${hasCompose ? '' : ' (skipped: docker-compose is not installed)'}`,
    () => {
      const result = spawnSync('docker-compose', ['config', '-q'], {
        cwd: COMPOSE_DIR,
        encoding: 'utf8',
        env: { ...process.env, GITPAAS_REPO: '' },
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/set GITPAAS_REPO in \.env/);
    },
  );

  it('has no version: and no top-level name: (docker-compose 1.29 rejects name:)', () => {
    expect(Object.keys(compose).sort()).toEqual(['secrets', 'services', 'volumes']);
  });

  it('runs git-sync and the app from one named volume, the app only after the first sync', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'git-sync']);
    expect(Object.keys(compose.volumes)).toEqual(['git', 'state']);
    expect(compose.services['git-sync'].volumes).toEqual(['git:/git']);
    // the app's state dir (ledger, dependency cache) is a volume of its own, outliving the container
    expect(compose.services.app.volumes).toEqual(['git:/git', 'state:/var/lib/gitpaas']);
    expect(compose.services.app.environment.GITPAAS_STATE_DIR).toBe('/var/lib/gitpaas');
    expect(compose.services.app.depends_on).toEqual({ 'git-sync': { condition: 'service_healthy' } });
    expect(compose.services['git-sync'].healthcheck.test.join(' ')).toMatch(/curl -fsS .*\/"?$/);
  });

  it('publishes port 5000 to the reloader, which listens on 8080, and the dashboard on loopback', () => {
    expect(compose.services.app.ports).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's own interpolation syntax
      '${GITPAAS_PUBLISH:-5000}:8080',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's own interpolation syntax
      '${GITPAAS_DASHBOARD_PUBLISH:-127.0.0.1:9090}:9090',
    ]);
    expect(compose.services.app.environment.GITPAAS_PORT).toBe('8080');
    expect(compose.services.app.environment.GITPAAS_HTTP_BIND).toBe('0.0.0.0:9090');
  });

  it('lets the dashboard reach git-sync, which keeps revisions to roll back to', () => {
    expect(compose.services.app.environment.GITPAAS_SYNC_URL).toBe('http://git-sync:8081');
    expect(compose.services['git-sync'].environment.GITSYNC_KEEP_REVISIONS).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's own interpolation syntax
      '${GITPAAS_KEEP_REVISIONS:-5}',
    );
    expect(ci.services.app.environment.GITPAAS_SYNC_URL).toBe(
      `http://${ci.services['git-sync'].environment.GITSYNC_HTTP_BIND}`,
    );
  });

  it('runs every service as uid 1000, read-only, with a tmpfs /tmp and a restart policy', () => {
    for (const service of Object.values<Yaml>(compose.services)) {
      expect(service.user).toBe('1000:1000');
      expect(service.read_only).toBe(true);
      expect(service.tmpfs).toEqual(['/tmp']);
      expect(service.restart).toBe('unless-stopped');
    }
  });

  it('takes credentials and the trigger secret as optional Compose secrets (/dev/null when unset)', () => {
    expect(Object.keys(compose.secrets).sort()).toEqual(['git-password', 'trigger-secret']);
    for (const secret of Object.values<Yaml>(compose.secrets))
      expect(secret.file).toMatch(/:-\/dev\/null\}$/);
    expect(compose.services['git-sync'].secrets.sort()).toEqual(['git-password', 'trigger-secret']);
  });

  it('makes the sidecar retry forever with backoff and outlast the app drain', () => {
    const env = compose.services['git-sync'].environment;
    const app = compose.services.app.environment;
    expect(env.GITSYNC_MAX_FAILURES).toBe('-1');
    const defaultOf = (value: string) => /:-([^}]+)\}/.exec(value)?.[1] ?? value;
    expect(durationMs(defaultOf(env.GITSYNC_MAX_SYNC_BACKOFF))).toBeGreaterThan(0);
    expect(durationMs(defaultOf(env.GITSYNC_STALE_WORKTREE_TIMEOUT))).toBeGreaterThanOrEqual(
      durationMs(defaultOf(app.GITPAAS_DRAIN_TIMEOUT)),
    );
  });

  it('sets only real flags of git-sync and the reloader', () => {
    const gitSync = flagNames('git-sync');
    const reloader = flagNames('reloader');
    const envs = [
      ...Object.keys(compose.services['git-sync'].environment),
      ...Object.keys(ci.services['git-sync'].environment),
    ];
    for (const env of envs) expect(gitSync, env).toContain(flagOfEnv(env, 'GITSYNC_'));
    // APP_COMMAND is the entrypoint's (gitpaas-app), not a reloader flag
    for (const env of [
      ...Object.keys(compose.services.app.environment).filter((name) => name !== 'APP_COMMAND'),
      ...Object.keys(ci.services.app.environment),
    ]) {
      expect(reloader, env).toContain(flagOfEnv(env, 'GITPAAS_'));
    }
  });

  it('.env.example sets the repository and documents every variable compose.yaml reads', () => {
    const example = readFileSync(join(COMPOSE_DIR, '.env.example'), 'utf8');
    const text = readFileSync(join(COMPOSE_DIR, 'compose.yaml'), 'utf8');
    expect(example).toMatch(/^GITPAAS_REPO=\S+/m);
    const used = new Set([...text.matchAll(/(?<!\$)\$\{([A-Z_]+)/g)].map((m) => m[1] as string));
    const documented = new Set([...example.matchAll(/^#? ?([A-Z_]+)=/gm)].map((m) => m[1] as string));
    expect([...used].filter((name) => !documented.has(name))).toEqual([]);
  });
});

describe('compose.ci.yaml and compose-ci.mjs', () => {
  const render = (config: unknown) =>
    spawnSync('node', [join(DEPLOY, 'e2e', 'compose-ci.mjs')], {
      input: stringify(config),
      encoding: 'utf8',
    });

  it('puts every service on the host network with local images', () => {
    expect(Object.keys(ci.services).sort()).toEqual(Object.keys(compose.services).sort());
    for (const service of Object.values<Yaml>(ci.services)) {
      expect(service.network_mode).toBe('host');
      expect(service.image).toMatch(/^(\$\{CI_APP_IMAGE:-)?localhost\/gitpaas\/[^:]+:local\}?$/);
    }
  });

  it('binds every CI listener to 127.0.0.1', () => {
    expect(ci.services['git-sync'].environment.GITSYNC_HTTP_BIND).toMatch(/^127\.0\.0\.1:/);
    expect(ci.services.app.environment.GITPAAS_HOST).toBe('127.0.0.1');
    expect(ci.services.app.environment.GITPAAS_HTTP_BIND).toMatch(/^127\.0\.0\.1:/);
  });

  it('the renderer drops ports: of host-network services', () => {
    const result = render({ services: { a: { network_mode: 'host', ports: ['5000:8080'], image: 'x' } } });
    expect(result.status).toBe(0);
    expect(result.stdout).not.toMatch(/ports/);
    expect(result.stdout).toMatch(/network_mode: host/);
  });

  it('the renderer refuses a service that would make Compose create a bridge network', () => {
    const result = render({ services: { a: { network_mode: 'host' }, b: { image: 'x' } } });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/service b is not on the host network/);
  });
});

describe('compose.dotnet.yaml (the .NET variant)', () => {
  const dotnet = readYaml('compose/compose.dotnet.yaml');

  it('only swaps the app image for the one with the .NET SDK (and gives dotnet a writable home)', () => {
    expect(Object.keys(dotnet.services)).toEqual(['app']);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's own interpolation syntax
    expect(dotnet.services.app.image).toBe('${APP_DOTNET_IMAGE:-ghcr.io/gitpaas/app-dotnet:0.1.0}');
    expect(dotnet.services.app.environment).toEqual({ DOTNET_CLI_HOME: '/tmp' });
  });

  it.skipIf(!hasCompose)(
    `docker-compose merges it over compose.yaml: the .NET image, published on 5000, detection as in the base${hasCompose ? '' : ' (skipped: docker-compose is not installed)'}`,
    () => {
      const result = spawnSync(
        'docker-compose',
        ['--env-file', '.env.example', '-f', 'compose.yaml', '-f', 'compose.dotnet.yaml', 'config'],
        { cwd: COMPOSE_DIR, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
      );
      expect(result.status, result.stderr).toBe(0);
      const app = parse(result.stdout).services.app;
      expect(app.image).toBe('ghcr.io/gitpaas/app-dotnet:0.1.0');
      expect(app.ports).toEqual([
        expect.objectContaining({ published: 5000, target: 8080 }),
        '127.0.0.1:9090:9090/tcp',
      ]);
      expect(app.environment).toMatchObject({
        APP_COMMAND: '',
        GITPAAS_BUILD: '',
        GITPAAS_STATE_DIR: '/var/lib/gitpaas',
      });
    },
  );
});
