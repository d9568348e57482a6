import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { detectDotnet } from './detect-dotnet.js';
import { detectNode, type PackageManager } from './detect-node.js';
import { ReloaderError } from './errors.js';

/** The dependency install of a release: run only when its key changed, its result reused otherwise. */
export interface InstallStep {
  /** Shell command run in the release dir. */
  command: string;
  /** Files (relative to the release dir) whose content, with the command and runtime, keys the result. */
  keyFiles: string[];
  /** Directories the install writes (relative), kept per key and put into each release. */
  dirs: string[];
  /**
   * symlink: the release gets a link to the read-only keyed tree (node_modules); copy: its own
   * copy (small restore state that the build writes beside, like dotnet's obj/).
   */
  materialise: 'symlink' | 'copy';
  /** Prints the runtime's version, part of the key (dependencies built for another Node differ). */
  runtime?: string[];
  /** A package manager reached through corepack; when it cannot be had, `fallback` installs instead. */
  manager?: PackageManager;
  fallback?: string;
}

/** What a stack's detector found in a release dir. */
export interface Detected {
  /** For the log and /status: "node (package-lock.json)", "dotnet (app.csproj)". */
  stack: string;
  install: InstallStep | null;
  build: string | null;
  start: { command: string[]; from: string } | null;
  /** Environment for the install, build and app (e.g. dotnet's telemetry off). */
  env?: Record<string, string>;
  warnings: string[];
}

/** How one release is built and started: given by flags, detected, or both. */
export interface AppPlan {
  stack: string;
  command: string[];
  /** Where the command came from: "given", "Procfile web:", "package.json scripts.start", … */
  commandFrom: string;
  install: InstallStep | null;
  build: string | null;
  env: Record<string, string>;
  warnings: string[];
}

/** What the user gave; what is missing is detected. */
export interface Given {
  command: string[];
  build?: string;
  install?: string;
  buildKey?: string[];
  installDirs?: string[];
}

/** The `web:` line of a Procfile (Heroku's convention), or null. */
export async function procfileWeb(dir: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(join(dir, 'Procfile'), 'utf8');
  } catch {
    return null;
  }
  const line = /^web:[ \t]*(.+?)[ \t]*$/m.exec(text);
  return line?.[1] ? line[1] : null;
}

const NOTHING_TO_RUN =
  'add a Procfile with a "web:" line, a package.json with a start script, or one *.csproj; or pass the command (after --)';

/**
 * Works out how to build and start the release in `dir` (run for every release: a revision can
 * change its Procfile or package.json). The command: given, else the Procfile's web: line, else
 * the stack's start. Install and build: given (--install, --build), else the stack's — only in
 * revision mode (`ownsDir`), where the dir is a revision's own checkout; elsewhere it is the
 * user's tree and nothing is installed into it unasked. Throws E_DETECT when nothing says what
 * to run.
 */
export async function planRelease(
  dir: string,
  given: Given,
  ownsDir: boolean,
  handoff: boolean,
): Promise<AppPlan> {
  const procfile = given.command.length ? null : await procfileWeb(dir);
  const needStack = ownsDir || (!given.command.length && !procfile);
  const detected = needStack ? ((await detectNode(dir)) ?? (await detectDotnet(dir, handoff))) : null;

  let command: string[];
  let commandFrom: string;
  if (given.command.length) [command, commandFrom] = [given.command, 'given'];
  else if (procfile) [command, commandFrom] = [[procfile], 'Procfile web:'];
  else if (detected?.start) [command, commandFrom] = [detected.start.command, detected.start.from];
  else {
    const found = detected ? `${detected.stack} with nothing to start` : 'nothing gitpaas knows';
    throw new ReloaderError('E_DETECT', `no command given and ${found} in the release: ${NOTHING_TO_RUN}`);
  }

  const useDetected = ownsDir && given.build === undefined;
  let install: InstallStep | null = useDetected ? (detected?.install ?? null) : null;
  if (given.install !== undefined) {
    install = {
      command: given.install,
      keyFiles: given.buildKey ?? detected?.install?.keyFiles ?? [],
      dirs: given.installDirs ?? detected?.install?.dirs ?? [],
      materialise: 'symlink',
    };
  } else if (install && given.buildKey) {
    install = { ...install, keyFiles: given.buildKey };
  }
  return {
    stack: procfile && !detected ? 'Procfile' : (detected?.stack ?? 'given'),
    command,
    commandFrom,
    install,
    build: given.build ?? (useDetected ? (detected?.build ?? null) : null),
    env: detected?.env ?? {},
    warnings: detected?.warnings ?? [],
  };
}

/** One line for the log and /status: "node (package-lock.json): install `npm ci`, build …, start `npm start` (package.json scripts.start)". */
export function describePlan(plan: AppPlan): string {
  const parts = [
    plan.install ? `install \`${plan.install.command}\`` : null,
    plan.build ? `build \`${plan.build}\`` : null,
    `start \`${plan.command.join(' ')}\`${plan.commandFrom === 'given' ? '' : ` (${plan.commandFrom})`}`,
  ].filter(Boolean);
  return `${plan.stack}: ${parts.join(', ')}`;
}

/**
 * How a revision of the repository checked out in `dir` would be built and started with no
 * command and no --build (what `gitpaas init` shows); throws E_DETECT when nothing tells.
 */
export async function detectApp(dir: string): Promise<{ plan: AppPlan; summary: string }> {
  const plan = await planRelease(dir, { command: [] }, true, true);
  return { plan, summary: describePlan(plan) };
}
