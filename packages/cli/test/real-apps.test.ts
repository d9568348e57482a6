import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, makeTempDir, waitFor } from '@gitpaas/test-utils';
import { describe, expect, it } from 'vitest';
import { createDemoRepo, pushChange } from '../src/demo-repo.js';
import { cleanEnv, cleanUpAfter, get, startCli } from './helpers.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
/** npm installs from the registry and dotnet builds on 2 loaded cores: minutes, not seconds. */
const LIVE_TIMEOUT_MS = 240_000;

function has(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}
const DOTNET = has('dotnet', ['--version']);
const PYTHON = has('python3', ['--version']);
const DOTNET_ENV = {
  DOTNET_CLI_TELEMETRY_OPTOUT: '1',
  DOTNET_NOLOGO: '1',
  DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1',
};

interface Release {
  id: number;
  revision: string;
  outcome: string;
  reason?: string;
  setup?: { plan: string; cache?: string; install?: string };
}

cleanUpAfter();

/**
 * `gitpaas up` on a repository seeded with examples/<name>, with no command, no --build and no
 * --ready-path: everything detected, ready on a TCP connect. Pushes are announced with POST /sync.
 */
async function deploy(name: string, env: NodeJS.ProcessEnv = {}) {
  const dir = await makeTempDir(`gitpaas-${name}-`);
  const repo = await createDemoRepo(dir, join(EXAMPLES, name));
  const port = await freePort();
  const bind = `127.0.0.1:${await freePort()}`;
  const up = startCli(
    [
      'up',
      `--repo=file://${repo.bare}`,
      '--ref=main',
      `--root=${join(dir, 'srv')}`,
      `--port=${port}`,
      '--host=127.0.0.1',
      `--http-bind=${bind}`,
      '--period=1s',
      '--ready-timeout=60s',
      '--drain-timeout=1s',
    ],
    { env: cleanEnv(env) },
  );
  const releases = async (): Promise<Release[]> => {
    const answer = await get(`http://${bind}/status`);
    return answer ? (JSON.parse(answer.body).reloader.releases as Release[]) : [];
  };
  const served = async () => {
    const answer = await get(`http://127.0.0.1:${port}/`);
    return answer?.status === 200 ? (JSON.parse(answer.body) as Record<string, unknown>) : undefined;
  };
  const log = () => `\n--- stdout\n${up.stdout.slice(-4000)}\n--- stderr\n${up.stderr.slice(-4000)}`;
  const liveAt = async (hash: string) => {
    await waitFor(async () => (await served())?.revision === hash, {
      timeout: LIVE_TIMEOUT_MS,
      message: `${hash.slice(0, 7)} served`,
    }).catch((error: unknown) => {
      throw new Error(`${error}${log()}`);
    });
    return (await releases()).find((release) => release.revision === hash && release.outcome === 'live')!;
  };
  const push = async (files: Record<string, string>, message: string) => {
    const hash = await pushChange(repo, files, message);
    await fetch(`http://${bind}/sync`, { method: 'POST' });
    return hash;
  };
  return { repo, port, up, served, releases, liveAt, push, log };
}

/** A steady client on the public port until `stop()`: every answer that is not 200 is a failure. */
function steadyLoad(port: number) {
  let running = true;
  const counts = { ok: 0, failed: 0, errors: [] as string[] };
  const loop = (async () => {
    const deadline = Date.now() + LIVE_TIMEOUT_MS * 2;
    while (running && Date.now() < deadline) {
      const answer = await get(`http://127.0.0.1:${port}/`);
      if (answer?.status === 200) counts.ok++;
      else {
        counts.failed++;
        counts.errors.push(String(answer?.status ?? 'no answer'));
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    counts,
    async stop() {
      running = false;
      await loop;
      return counts;
    },
  };
}

describe('real apps through gitpaas up, everything detected', () => {
  it(
    'Express: installs once, reuses the dependencies on a code-only push, installs a new one, drops a removed one',
    async () => {
      const { history } = (await import(join(EXAMPLES, 'express', 'history.mjs'))) as {
        history: Array<{ message: string; files: Record<string, string>; cache: string }>;
      };
      const app = await deploy('express');
      const first = await app.liveAt(app.repo.head);
      expect(first.setup?.plan).toMatch(
        /^node \(package\.json, no lockfile\): install `npm install .*start `node server\.js`/,
      );
      expect(first.setup?.cache).toBe(history[0]!.cache);
      expect(app.up.stderr + app.up.stdout).toMatch(/ build .*added \d+ packages/);

      for (const step of history.slice(1)) {
        const hash = await app.push(step.files, step.message);
        const release = await app.liveAt(hash);
        expect(release.setup?.cache, step.message).toBe(step.cache);
        const body = await app.served();
        expect((body?.dependencies as { picocolors?: boolean } | undefined)?.picocolors, step.message).toBe(
          step.files['package.json']?.includes('"picocolors"') ?? false,
        );
      }
    },
    LIVE_TIMEOUT_MS * 4,
  );

  it.skipIf(!PYTHON)(
    `Python: started by its Procfile's web: line${PYTHON ? '' : ' (skipped: python3 is not installed)'}`,
    async () => {
      const app = await deploy('python');
      const first = await app.liveAt(app.repo.head);
      expect(first.setup?.plan).toBe('Procfile: start `python3 app.py` (Procfile web:)');
      const hash = await app.push(
        {
          'app.py': (await import('node:fs'))
            .readFileSync(join(EXAMPLES, 'python', 'app.py'), 'utf8')
            .replace('Hello from Python', 'Hello again'),
        },
        'Change the greeting',
      );
      await app.liveAt(hash);
      expect((await app.served())?.message).toBe('Hello again');
    },
    LIVE_TIMEOUT_MS * 2,
  );

  it.skipIf(!DOTNET)(
    `ASP.NET Core: published and started on $PORT, a code push live with no failed request, a push that does not compile kept out${DOTNET ? '' : ' (skipped: dotnet is not installed)'}`,
    async () => {
      const app = await deploy('aspnet', DOTNET_ENV);
      const first = await app.liveAt(app.repo.head);
      expect(first.setup?.plan).toMatch(
        /^dotnet \(app\.csproj\): install `dotnet restore app\.csproj`, build `dotnet publish/,
      );
      expect(first.setup?.cache).toBe('miss');

      const load = steadyLoad(app.port);
      const program = readFileSync(join(EXAMPLES, 'aspnet', 'Program.cs'), 'utf8');
      const changed = await app.push(
        { 'Program.cs': program.replace('Hello from ASP.NET Core', 'Hello again') },
        'Change the greeting',
      );
      const second = await app.liveAt(changed);
      const counts = await load.stop();
      expect(second.setup?.cache).toBe('hit');
      expect((await app.served())?.message).toBe('Hello again');
      expect(counts.ok).toBeGreaterThan(10);
      expect(counts, counts.errors.slice(0, 5).join(', ')).toMatchObject({ failed: 0 });

      const broken = await app.push(
        { 'Program.cs': program.replace('app.Run();', 'app.Run()') },
        'Forget a semicolon',
      );
      const failed = await waitFor(
        async () =>
          (await app.releases()).find(
            (release) => release.revision === broken && release.outcome === 'failed',
          ),
        { timeout: LIVE_TIMEOUT_MS, message: 'the broken revision to fail' },
      );
      expect(failed.reason).toMatch(
        /^build exited with code 1: .*Program\.cs\(\d+,\d+\): error CS1002: ; expected/,
      );
      expect((await app.served())?.revision).toBe(changed);
    },
    LIVE_TIMEOUT_MS * 4,
  );
});
