import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOY, ROOT, readYaml, type Yaml } from './helpers.js';

// images/build.sh tags each image with its package's version, so the deployments must ask for
// exactly that tag: after a version bump they would otherwise pull an image nobody built.
const IMAGES = [
  { image: 'ghcr.io/gitpaas/git-sync', pkg: 'git-sync' },
  { image: 'ghcr.io/gitpaas/app', pkg: 'reloader' },
];

it('ghcr.io/gitpaas/app-dotnet is deployed at the version of @gitpaas/reloader', () => {
  const version = versionOf('reloader');
  for (const file of ['compose/compose.dotnet.yaml', 'compose/.env.example']) {
    const tags = [
      ...readFileSync(join(DEPLOY, file), 'utf8').matchAll(/ghcr\.io\/gitpaas\/app-dotnet:([\w.-]+)/g),
    ];
    expect(tags.length, file).toBeGreaterThan(0);
    for (const [, tag] of tags) expect(tag, file).toBe(version);
  }
});
const TEXT_FILES = ['compose/compose.yaml', 'compose/.env.example', 'compose/README.md'];
const KUSTOMIZATIONS = ['k8s/base/kustomization.yaml', 'k8s/overlays/example/kustomization.yaml'];

const versionOf = (pkg: string): string =>
  JSON.parse(readFileSync(join(ROOT, 'packages', pkg, 'package.json'), 'utf8')).version;

describe('image tags', () => {
  it.each(IMAGES)('$image is deployed at the version of @gitpaas/$pkg', ({ image, pkg }) => {
    const version = versionOf(pkg);
    const escaped = image.replaceAll('.', '\\.');
    for (const file of TEXT_FILES) {
      const text = readFileSync(join(DEPLOY, file), 'utf8');
      const tags = [...text.matchAll(new RegExp(`${escaped}:([\\w.-]+)`, 'g'))].map((m) => m[1]);
      expect(tags.length, `${file} names ${image}`).toBeGreaterThan(0);
      for (const tag of tags) expect(tag, file).toBe(version);
    }
    for (const file of KUSTOMIZATIONS) {
      const entry = (readYaml(file).images as Yaml[]).find((i) => i.name === image);
      expect(entry?.newTag, file).toBe(version);
    }
  });
});
