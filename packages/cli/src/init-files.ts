import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, visit } from 'yaml';
import { patchEnvFile } from './env-file.js';
import { REFERENCE_FILES } from './reference-files.js';
import { repoName } from './repo-name.js';
import { shippedDir } from './shipped.js';
import { YamlEdit } from './yaml-edit.js';

/** What `gitpaas init` needs to know about the user's app. */
export interface InitSettings {
  repo: string;
  ref: string;
  /** DNS-safe app name (Kubernetes object names). */
  name: string;
  /** Where Compose publishes the app on the host (127.0.0.1:<port>). */
  port: number;
  /** The app's start command, run in each revision's directory; '' to detect it per revision. */
  command: string;
  /** The build step; '' to detect it per revision. */
  build: string;
  /** A path answering 2xx once ready; '' for TCP readiness. */
  readyPath: string;
  /** Image tag of the gitpaas images. */
  tag: string;
}

export interface InitFile {
  path: string;
  content: string;
}

type Written = keyof typeof REFERENCE_FILES;

/** The reference's ConfigMap of sync settings, renamed after the app. */
const REFERENCE_CONFIG = 'gitpaas-sync';
const IMAGES = ['ghcr.io/gitpaas/git-sync', 'ghcr.io/gitpaas/app'];

const IMAGES_NOTE = `Images: ghcr.io/gitpaas/git-sync (the sidecar) and ghcr.io/gitpaas/app (the reloader that
runs your app) are the gitpaas project's intended published image names. Until they are
published, build them from a gitpaas checkout with deploy/images/build.sh and put the
names it prints here.`;

/** A DNS-1123 label from the repository URL's last path element (`my_App.git` → `my-app`). */
export function appNameFromRepo(repo: string): string {
  const name = repoName(repo)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return /^[a-z]/.test(name) ? name : `app-${name || 'git'}`.replace(/-+$/, '');
}

function compose(edit: YamlEdit, s: InitSettings): void {
  edit.comments((text) => text.replaceAll('.env.example', '.env'));
  edit.header(
    `Compose deployment of ${s.repo}, written by \`gitpaas init\`; edit freely.
Two containers share the volume "git": git-sync keeps /git/app pointing at the newest
revision of the ref; the app container (the gitpaas reloader) builds and starts each
revision and switches traffic only once the new one is ready (accepts connections, or
answers GITPAAS_READY_PATH).
Settings are in .env. Compose v2 (docker compose up -d) and docker-compose 1.29.
${IMAGES_NOTE}`,
  );
  for (const service of ['git-sync', 'app']) {
    edit.replace(['services', service, 'image'], /:[^:}]+\}$/, `:${s.tag}}`);
  }
  edit.replace(
    ['services', 'app', 'ports', 0],
    /^\$\{GITPAAS_PUBLISH:-[^}]*\}/,
    `\${GITPAAS_PUBLISH:-127.0.0.1:${s.port}}`,
  );
}

function envFile(reference: string, s: InitSettings): string {
  const image = (name: string) => ({ value: `${name}:${s.tag}`, flag: '--tag' });
  return patchEnvFile(
    reference,
    'Settings for compose.yaml, written by `gitpaas init`; docker compose reads this file by itself.',
    {
      GITPAAS_REPO: { value: s.repo, flag: '--repo' },
      GITPAAS_REF: { value: s.ref, flag: '--ref' },
      APP_COMMAND: { value: s.command, flag: '--command' },
      GITPAAS_BUILD: { value: s.build, flag: '--build' },
      GITPAAS_READY_PATH: { value: s.readyPath, flag: '--ready-path' },
      GITPAAS_PUBLISH: { value: `127.0.0.1:${s.port}`, flag: '--port' },
      GITSYNC_IMAGE: image(IMAGES[0]!),
      APP_IMAGE: image(IMAGES[1]!),
    },
  );
}

function kustomization(edit: YamlEdit, s: InitSettings): void {
  edit.header(
    `Kubernetes deployment of ${s.repo}, written by \`gitpaas init\`; edit freely.
  kubectl apply -k .        (render only: kubectl kustomize .)
${IMAGES_NOTE}`,
  );
  edit.set(['labels', 0, 'pairs', 'app.kubernetes.io/name'], s.name);
  const config = ['configMapGenerator', { name: REFERENCE_CONFIG }];
  edit.setLiteral([...config, 'literals'], 'GITSYNC_REPO', s.repo);
  edit.setLiteral([...config, 'literals'], 'GITSYNC_REF', s.ref);
  edit.set([...config, 'name'], `${s.name}-sync`);
  for (const image of IMAGES) edit.set(['images', { name: image }, 'newTag'], s.tag);
}

function deployment(edit: YamlEdit, s: InitSettings): void {
  edit.set(['metadata', 'name'], s.name);
  // Every container that reads the sync settings reads them from the renamed ConfigMap.
  let refs = 0;
  visit(edit.doc, {
    Map(_, map) {
      const ref = map.get('configMapRef', true);
      if (isMap(ref) && ref.get('name') === REFERENCE_CONFIG) {
        ref.set('name', `${s.name}-sync`);
        refs++;
      }
    },
  });
  if (refs === 0) throw edit.missing(`a configMapRef to ${REFERENCE_CONFIG}`);
  const app = ['spec', 'template', 'spec', 'containers', { name: 'app' }];
  const env = edit.node([...app, 'env']);
  if (!isSeq(env)) throw edit.missing([...app, 'env']);
  for (const [key, value] of [
    ['GITPAAS_BUILD', s.build],
    ['GITPAAS_READY_PATH', s.readyPath],
  ] as const) {
    if (value) env.items.push(edit.doc.createNode({ name: key, value }, { flow: true }));
  }
  if (!s.command) return;
  const args = edit.doc.createNode(['sh', '-c', s.command], { flow: true });
  for (const item of args.items) if (isScalar(item)) item.type = 'QUOTE_DOUBLE';
  edit.insert(app, 'imagePullPolicy', {
    key: 'args',
    value: args,
    comment: " your app's command, run by sh in the revision's directory; it must listen on $PORT",
    stale: /\bargs\b/,
  });
}

function service(edit: YamlEdit, s: InitSettings): void {
  edit.set(['metadata', 'name'], s.name);
}

// The headless Service that --trigger-fanout names to reach every replica's sidecar.
function syncService(edit: YamlEdit, s: InitSettings): void {
  edit.set(['metadata', 'name'], `${s.name}-sync`);
}

const EDITS: Partial<Record<Written, (edit: YamlEdit, s: InitSettings) => void>> = {
  'compose.yaml': compose,
  'k8s/kustomization.yaml': kustomization,
  'k8s/deployment.yaml': deployment,
  'k8s/service.yaml': service,
  'k8s/service-sync.yaml': syncService,
};

/** The reference deployment files: dist/deploy when installed, deploy/ of the checkout in tests. */
export function referenceDir(): Promise<string> {
  return shippedDir('deploy', REFERENCE_FILES['compose.yaml']);
}

/** Every file `gitpaas init` writes, relative to its --dir: the reference deployment, made the app's. */
export async function initFiles(settings: InitSettings): Promise<InitFile[]> {
  const from = await referenceDir();
  return Promise.all(
    (Object.entries(REFERENCE_FILES) as [Written, string][]).map(async ([path, source]) => {
      const text = await readFile(join(from, source), 'utf8');
      if (path === '.env') return { path, content: envFile(text, settings) };
      const edit = EDITS[path];
      // secrets/.gitignore is written as it is
      if (!edit) return { path, content: text };
      const yaml = new YamlEdit(parseDocument(text), `deploy/${source}`);
      edit(yaml, settings);
      return { path, content: yaml.toString() };
    }),
  );
}
