import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import type { Detected } from './detect.js';
import { ReloaderError } from './errors.js';
import { exists } from './files.js';

/** Where the published app goes, inside the release dir (git-sync's clean removes it with the worktree). */
export const PUBLISH_DIR = '.gitpaas/publish';
/** Files beside the projects that change what a restore produces. */
const RESTORE_INPUTS = [
  'Directory.Build.props',
  'Directory.Packages.props',
  'NuGet.Config',
  'nuget.config',
  'global.json',
];
/** Quiet, private builds: no telemetry, no banner, no first-run work. */
export const DOTNET_ENV = {
  DOTNET_CLI_TELEMETRY_OPTOUT: '1',
  DOTNET_NOLOGO: '1',
  DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1',
};

/** `Project("{…}") = "Web", "src\Web\Web.csproj", "{…}"` lines of a .sln. */
const SLN_PROJECT = /^Project\("[^"]*"\)\s*=\s*"[^"]*",\s*"([^"]+\.csproj)"/gm;

/**
 * An ASP.NET Core app: one *.csproj at the top of the repository, or a .sln naming exactly one
 * web project (Sdk="Microsoft.NET.Sdk.Web"). `dotnet restore` installs (cached on the project
 * files), `dotnet publish` builds, and the published dll starts with its URL bound to $PORT.
 * Null when the repository has neither.
 */
export async function detectDotnet(dir: string, handoff: boolean): Promise<Detected | null> {
  const names = await readdir(dir);
  const csproj = names.filter((name) => name.endsWith('.csproj'));
  const sln = names.filter((name) => name.endsWith('.sln'));
  let projects: string[];
  let web: string;
  let entry: string;
  if (csproj.length === 1) {
    web = csproj[0]!;
    projects = [web];
    entry = web;
  } else if (csproj.length > 1) {
    throw new ReloaderError(
      'E_DETECT',
      `${csproj.length} projects (${csproj.join(', ')}): keep one, add a .sln, or pass --build and the command`,
    );
  } else if (sln.length === 1) {
    const text = await readFile(join(dir, sln[0]!), 'utf8');
    projects = [...text.matchAll(SLN_PROJECT)].map((m) => m[1]!.replaceAll('\\', '/'));
    const webProjects: string[] = [];
    for (const project of projects) {
      const body = await readFile(join(dir, project), 'utf8').catch(() => '');
      if (/Sdk="Microsoft\.NET\.Sdk\.Web"/.test(body)) webProjects.push(project);
    }
    if (webProjects.length !== 1) {
      throw new ReloaderError(
        'E_DETECT',
        `${sln[0]} has ${webProjects.length} web projects (Sdk="Microsoft.NET.Sdk.Web"), not one: pass --build and the command`,
      );
    }
    web = webProjects[0]!;
    entry = sln[0]!;
  } else {
    return null;
  }
  const body = await readFile(join(dir, web), 'utf8');
  const assembly =
    /<AssemblyName>\s*([^<\s]+)\s*<\/AssemblyName>/.exec(body)?.[1] ?? basename(web, '.csproj');
  const keyFiles = [...(entry === web ? [] : [entry]), ...projects];
  for (const file of RESTORE_INPUTS) if (await exists(join(dir, file))) keyFiles.push(file);
  // Bound to loopback behind the proxy; on every interface when the app owns the port itself.
  const host = handoff ? '127.0.0.1' : '+';
  return {
    stack: `dotnet (${entry})`,
    install: {
      command: `dotnet restore ${quote(entry)}`,
      keyFiles,
      // The restore state (project.assets.json …) is small and the build writes beside it:
      // each release gets its own copy.
      dirs: projects.map((project) => posix.join(dirname(project), 'obj')),
      materialise: 'copy',
      runtime: ['dotnet', '--version'],
    },
    build: `dotnet publish ${quote(web)} -c Release -o ${PUBLISH_DIR} --no-restore --disable-build-servers`,
    start: {
      command: [
        `ASPNETCORE_URLS=http://${host}:\${PORT:-8080} exec dotnet ${quote(`${PUBLISH_DIR}/${assembly}.dll`)}`,
      ],
      from: web,
    },
    env: DOTNET_ENV,
    warnings: [],
  };
}

function quote(word: string): string {
  return /^[\w./@:-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
