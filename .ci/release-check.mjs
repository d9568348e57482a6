// Release readiness, run by .ci/run after the build: every public package packs what a user
// needs (LICENSE, README, built entry points, a bin that exists and runs), nothing private is
// publishable, and workspace dependencies point at published names. Prints one line per problem.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const workspaces = [
  'packages/core',
  'packages/git-sync',
  'packages/reloader',
  'packages/cli',
  'packages/test-utils',
  'deploy',
  'benchmarks',
];
const problems = [];
const manifests = new Map(
  workspaces.map((dir) => [dir, JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'))]),
);
const publicNames = new Set([...manifests.values()].filter((m) => !m.private).map((m) => m.name));

for (const [dir, manifest] of manifests) {
  if (manifest.private) {
    if (manifest.publishConfig) problems.push(`${manifest.name}: private but has publishConfig`);
    continue;
  }
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: join(root, dir),
      encoding: 'utf8',
    }),
  )[0];
  const files = new Set(packed.files.map((file) => file.path));
  for (const needed of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']) {
    if (!files.has(needed)) problems.push(`${manifest.name}: the tarball lacks ${needed}`);
  }
  for (const [name, target] of Object.entries(manifest.bin ?? {})) {
    const path = join(root, dir, target);
    if (!files.has(target.replace(/^\.\//, '')))
      problems.push(`${manifest.name}: bin ${name} (${target}) is not packed`);
    else if (!(statSync(path).mode & 0o111)) problems.push(`${manifest.name}: bin ${name} is not executable`);
  }
  for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
    if (String(range).startsWith('workspace:') && !publicNames.has(dep)) {
      problems.push(`${manifest.name}: depends on ${dep}, which is not published`);
    }
  }
  if (manifest.license !== 'Apache-2.0') problems.push(`${manifest.name}: license is ${manifest.license}`);
  if (!existsSync(join(root, dir, 'LICENSE'))) problems.push(`${manifest.name}: no LICENSE file`);
  if (!manifest.engines?.node) problems.push(`${manifest.name}: no engines.node`);
}

const version = (dir) => manifests.get(dir).version;
const checks = [
  ['packages/cli/bin/gitpaas.js', ['--version'], `gitpaas ${version('packages/cli')}`],
  ['packages/git-sync/bin/git-sync.js', ['--version'], `git-sync ${version('packages/git-sync')}`],
  ['packages/reloader/bin/reloader.js', ['--version'], `reloader ${version('packages/reloader')}`],
];
for (const [bin, args, expected] of checks) {
  let out = '';
  try {
    out = execFileSync(process.execPath, [join(root, bin), ...args], { encoding: 'utf8' }).trim();
  } catch (error) {
    out = String(error.message);
  }
  if (!out.startsWith(expected))
    problems.push(`${bin} ${args.join(' ')}: printed "${out}", expected "${expected}…"`);
}

for (const problem of problems) console.log(`release: ${problem}`);
console.log(problems.length ? `release readiness: ${problems.length} problem(s)` : 'release readiness: ok');
process.exit(problems.length ? 1 : 0);
