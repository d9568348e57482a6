import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { oneLine, splitUrlCredentials } from '@gitpaas/core';
import { detectApp } from '@gitpaas/reloader';
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { commandTable } from '../flags.js';
import { git } from '../git.js';
import { appNameFromRepo, initFiles } from '../init-files.js';
import { exists } from '../shipped.js';
import { version } from '../version.js';

export const initOptions = commandTable([
  {
    name: 'repo',
    type: 'string',
    valueName: '<url>',
    help: "The repository to deploy (default: this directory's git remote origin)",
  },
  { name: 'ref', type: 'string', default: 'HEAD', help: 'The branch, tag or commit to follow' },
  { name: 'dir', type: 'string', default: 'gitpaas-deploy', help: 'Where to write the files' },
  {
    name: 'name',
    type: 'string',
    help: 'App name for the Kubernetes objects (default: from the repository name)',
  },
  {
    name: 'port',
    type: 'int',
    default: 8080,
    min: 1,
    max: 65535,
    help: 'Where Compose publishes the app on this machine (127.0.0.1:<port>)',
  },
  {
    name: 'command',
    type: 'string',
    help: "Your app's start command, run in each revision's directory; it must listen on $PORT (default: detected for each revision: a Procfile's web: line, package.json, one *.csproj)",
  },
  {
    name: 'build',
    type: 'string',
    help: 'A build step run in each new revision before it starts (default: detected: the install with the lockfile’s manager and the build script, or dotnet publish)',
  },
  {
    name: 'ready-path',
    type: 'string',
    valueName: '<path>',
    help: 'A path that answers 2xx once a release is ready (default: ready once the app accepts connections on $PORT)',
  },
  { name: 'tag', type: 'string', help: 'Tag of the gitpaas images (default: this CLI version)' },
  { name: 'force', type: 'bool', help: 'Overwrite files that already exist' },
]);

const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * What the reloader will detect for each revision, read from the clone `init` runs in (the files
 * leave the command and build empty for that); nothing when `cwd` is not a clone.
 */
async function detectedHere(cwd: string): Promise<string> {
  const top = await git(['rev-parse', '--show-toplevel'], { cwd }).catch(() => undefined);
  if (!top) return '';
  try {
    const { summary } = await detectApp(top);
    return `\nEach revision is built and started as detected in ${top}:\n  ${summary}\n`;
  } catch (error) {
    return `\nNo command given, and none detected in ${top} (${oneLine(error)}):\nset APP_COMMAND in .env and args in k8s/deployment.yaml, or run again with --command.\n`;
  }
}

export const initCommand = defineCommand({
  name: 'init',
  options: initOptions,
  help: {
    usage: 'gitpaas init [--repo <url>] [--dir <path>] [--force]',
    description:
      "Writes ready-to-edit deployment files for a repository, made from gitpaas's reference deployment:\n" +
      'compose.yaml + .env (Docker Compose) and k8s/ (kustomize: kubectl apply -k). Existing files are\n' +
      'never overwritten without --force.',
    examples: [
      'gitpaas init                                   # in your clone: uses its origin remote',
      'gitpaas init --repo https://github.com/you/app.git --ref main --dir deploy',
      'gitpaas init --command "node server.js" --ready-path /healthz --port 3000 --force',
      'gitpaas init --build "npm ci && npm run build" --command "node dist/server.js"',
    ],
  },
  async run(v, _parsed, context) {
    const given =
      v.repo ??
      (await git(['remote', 'get-url', 'origin'], { cwd: context.cwd }).catch(() => {
        throw new CliError(
          'E_USAGE',
          'no repository: pass --repo <url> (or run gitpaas init inside a clone with an origin remote)',
        );
      }));
    // A token in the URL (often in an origin remote) would end up in a ConfigMap and a .env
    // that may be committed, and on this screen: leave it out and say where it belongs.
    const { url: repo, secret } = splitUrlCredentials(given);
    const name = v.name ?? appNameFromRepo(repo);
    if (!DNS_LABEL.test(name)) {
      throw new CliError(
        'E_USAGE',
        `--name: "${name}" is not a valid name: use lowercase letters, digits and dashes, starting with a letter`,
      );
    }
    if (v.readyPath !== undefined && !v.readyPath.startsWith('/')) {
      throw new CliError('E_USAGE', `--ready-path: "${v.readyPath}" must start with /, e.g. /healthz`);
    }
    const dir = resolve(context.cwd, v.dir);
    const files = await initFiles({
      repo,
      ref: v.ref,
      name,
      port: v.port,
      command: v.command ?? '',
      build: v.build ?? '',
      readyPath: v.readyPath ?? '',
      tag: v.tag ?? version(),
    });
    if (!v.force) {
      for (const file of files) {
        const path = join(dir, file.path);
        if (await exists(path)) {
          throw new CliError(
            'E_EXISTS',
            `${relative(context.cwd, path) || path} already exists: pass --force to overwrite, or --dir <path> to write elsewhere`,
          );
        }
      }
    }
    for (const file of files) {
      const path = join(dir, file.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content);
    }
    const { out, err } = context.terminal;
    if (secret) {
      err.write(
        `${err.colors.yellow('gitpaas init: the repository URL carries a password or token; it is left out of the files: give it to git-sync as GITSYNC_USERNAME + GITSYNC_PASSWORD (or GITSYNC_PASSWORD_FILE) from a Secret')}\n`,
      );
    }
    const shown = relative(context.cwd, dir) || '.';
    out.write(`Wrote deployment files for ${out.colors.bold(repo)} in ${shown}/:\n`);
    for (const file of files) out.write(`  ${file.path}\n`);
    if (v.command === undefined || v.build === undefined) out.write(await detectedHere(context.cwd));
    out.write(
      `\nNext:\n  Compose:    cd ${shown} && docker compose up -d\n  Kubernetes: kubectl apply -k ${shown}/k8s\n`,
    );
    return 0;
  },
});
