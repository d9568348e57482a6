import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { appNameFromRepo, type InitSettings, initFiles, referenceDir } from './init-files.js';
import { REFERENCE_FILES } from './reference-files.js';

const settings: InitSettings = {
  repo: 'https://git.example.invalid/team/shop.git',
  ref: 'production',
  name: 'shop',
  port: 3000,
  command: 'node server.js',
  build: '',
  readyPath: '/healthz',
  tag: '2.0',
};

type Written = keyof typeof REFERENCE_FILES;

async function both(path: Written): Promise<{ ours: string; reference: string }> {
  const file = (await initFiles(settings)).find((candidate) => candidate.path === path)!;
  const reference = await readFile(join(await referenceDir(), REFERENCE_FILES[path]), 'utf8');
  return { ours: file.content, reference };
}

/** The `KEY=value` settings of a .env file (commented-out lines left aside). */
function envSettings(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^\w+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

const commentLines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('#'));

describe('init files', () => {
  it.each([
    ['https://github.com/you/My_Shop.git', 'my-shop'],
    ['git@github.com:you/api.git', 'api'],
    ['file:///srv/repos/hello.git/', 'hello'],
    ['https://example.invalid/1password', 'app-1password'],
  ])('names the app after the repository: %s → %s', (repo, name) => {
    expect(appNameFromRepo(repo)).toBe(name);
  });

  it('names the intended published images and says they are the intended names', async () => {
    const { ours } = await both('compose.yaml');
    expect(ours).toContain('ghcr.io/gitpaas/git-sync:2.0');
    expect(ours).toContain('ghcr.io/gitpaas/app:2.0');
    expect(ours).toContain('intended published image names');
  });

  it('are the reference compose.yaml but for the image tags and the published port', async () => {
    const { ours, reference } = await both('compose.yaml');
    const expected = parse(reference);
    expected.services['git-sync'].image = `\${GITSYNC_IMAGE:-ghcr.io/gitpaas/git-sync:2.0}`;
    expected.services.app.image = `\${APP_IMAGE:-ghcr.io/gitpaas/app:2.0}`;
    expected.services.app.ports[0] = `\${GITPAAS_PUBLISH:-127.0.0.1:3000}:8080`;
    expect(parse(ours)).toEqual(expected);
  });

  it("are the reference .env but for the repository, the app's command and port, and the tags", async () => {
    const { ours, reference } = await both('.env');
    expect(envSettings(ours)).toEqual({
      ...envSettings(reference),
      GITPAAS_REPO: settings.repo,
      GITPAAS_REF: 'production',
      APP_COMMAND: 'node server.js',
      GITPAAS_BUILD: '',
      GITPAAS_READY_PATH: '/healthz',
      GITPAAS_PUBLISH: '127.0.0.1:3000',
      GITSYNC_IMAGE: 'ghcr.io/gitpaas/git-sync:2.0',
      APP_IMAGE: 'ghcr.io/gitpaas/app:2.0',
    });
    // the optional settings (credentials, trigger secret) stay, commented out
    expect(commentLines(ours)).toEqual(expect.arrayContaining(commentLines(reference).slice(1)));
  });

  it('are the reference kustomization but for the names, the repository and the tags', async () => {
    const { ours, reference } = await both('k8s/kustomization.yaml');
    const expected = parse(reference);
    expected.labels[0].pairs['app.kubernetes.io/name'] = 'shop';
    expected.configMapGenerator = [
      {
        name: 'shop-sync',
        literals: [
          `GITSYNC_REPO=${settings.repo}`,
          'GITSYNC_REF=production',
          ...expected.configMapGenerator[0].literals.filter(
            (literal: string) => !/^GITSYNC_RE(PO|F)=/.test(literal),
          ),
        ],
      },
    ];
    for (const image of expected.images) image.newTag = '2.0';
    expect(parse(ours)).toEqual(expected);
  });

  it("are the reference Deployment and Service but for the names and the app's command", async () => {
    const deployment = await both('k8s/deployment.yaml');
    const expected = parse(deployment.reference);
    expected.metadata.name = 'shop';
    const pod = expected.spec.template.spec;
    for (const container of [...pod.initContainers, ...pod.containers]) {
      if (container.envFrom) container.envFrom = [{ configMapRef: { name: 'shop-sync' } }];
    }
    const app = pod.containers.find((container: { name: string }) => container.name === 'app');
    pod.containers[pod.containers.indexOf(app)] = {
      ...app,
      args: ['sh', '-c', 'node server.js'],
      env: [...app.env, { name: 'GITPAAS_READY_PATH', value: '/healthz' }],
    };
    expect(parse(deployment.ours)).toEqual(expected);
    // its comments stay, but the one saying to set args, now set
    const dropped = commentLines(deployment.reference).filter(
      (line) => !commentLines(deployment.ours).includes(line),
    );
    expect(dropped).toEqual([
      expect.stringContaining("the image detects each revision's command"),
      expect.stringContaining('args to run something else'),
    ]);

    const service = await both('k8s/service.yaml');
    expect(parse(service.ours)).toEqual({ ...parse(service.reference), metadata: { name: 'shop' } });
    expect(commentLines(service.ours)).toEqual(commentLines(service.reference));
  });

  it('leave the command, build and ready path to detection when none is given', async () => {
    const files = await initFiles({ ...settings, command: '', readyPath: '' });
    const deployment = parse(files.find((file) => file.path === 'k8s/deployment.yaml')!.content);
    const app = deployment.spec.template.spec.containers.find((c: { name: string }) => c.name === 'app');
    expect(app.args).toBeUndefined();
    expect(app.env.map((e: { name: string }) => e.name)).not.toContain('GITPAAS_READY_PATH');
    const env = envSettings(files.find((file) => file.path === '.env')!.content);
    expect(env).toMatchObject({ APP_COMMAND: '', GITPAAS_BUILD: '', GITPAAS_READY_PATH: '' });
  });

  it('carry a command with ": ", "#" and quotes whole into the Deployment', async () => {
    const command = `node -e "console.log('a: b') # x"`;
    const files = await initFiles({ ...settings, command });
    const deployment = parse(files.find((file) => file.path === 'k8s/deployment.yaml')!.content);
    const app = deployment.spec.template.spec.containers.find((c: { name: string }) => c.name === 'app');
    expect(app.args).toEqual(['sh', '-c', command]);
  });
});
