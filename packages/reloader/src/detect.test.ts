import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { makeTempDir, removeTempDirs } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { describePlan, planRelease } from './detect.js';

afterEach(() => removeTempDirs());

async function repo(files: Record<string, string>): Promise<string> {
  const dir = await makeTempDir('detect-');
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}
const pkg = (body: object) => JSON.stringify(body);
const detect = (dir: string, given = {}, ownsDir = true) =>
  planRelease(dir, { command: [], ...given }, ownsDir, true);

describe('detection', () => {
  it('starts a Procfile web: line and installs from package.json beside it', async () => {
    const dir = await repo({
      Procfile: 'worker: node worker.js\nweb: node server.js --port $PORT\n',
      'package.json': pkg({ dependencies: { express: '^4' } }),
    });
    const plan = await detect(dir);
    expect(plan.command).toEqual(['node server.js --port $PORT']);
    expect(plan.commandFrom).toBe('Procfile web:');
    expect(plan.install?.command).toBe('npm install --no-audit --no-fund --omit=dev');
  });

  it('runs a Procfile alone (a Python app) with nothing to install', async () => {
    const plan = await detect(await repo({ Procfile: 'web: python3 app.py\n', 'app.py': '' }));
    expect(plan).toMatchObject({
      stack: 'Procfile',
      command: ['python3 app.py'],
      install: null,
      build: null,
    });
  });

  it('installs with the lockfile’s package manager, builds with the build script, starts npm start', async () => {
    const dir = await repo({
      'package.json': pkg({
        scripts: { build: 'tsc', start: 'node dist/server.js' },
        devDependencies: { typescript: '5' },
      }),
      'package-lock.json': '{}',
      '.npmrc': 'fund=false\n',
    });
    const plan = await detect(dir);
    expect(plan.install).toMatchObject({
      command: 'npm ci --no-audit --no-fund',
      keyFiles: ['package.json', 'package-lock.json', '.npmrc'],
      dirs: ['node_modules'],
      materialise: 'symlink',
    });
    expect(plan.build).toBe('npm run build');
    expect(plan.command).toEqual(['node', 'dist/server.js']);
    expect(describePlan(plan)).toBe(
      'node (package-lock.json): install `npm ci --no-audit --no-fund`, build `npm run build`, start `node dist/server.js` (package.json scripts.start, without npm)',
    );
  });

  it('runs a start script through npm unless it is only node with plain arguments', async () => {
    const startOf = async (scripts: Record<string, string>) =>
      (await detect(await repo({ 'package.json': pkg({ scripts }) }))).command;
    expect(await startOf({ start: 'node --enable-source-maps server.js --port=3000' })).toEqual([
      'node',
      '--enable-source-maps',
      'server.js',
      '--port=3000',
    ]);
    expect(await startOf({ start: 'node server.js && echo done' })).toEqual(['npm start']);
    expect(await startOf({ start: 'NODE_ENV=production node server.js' })).toEqual(['npm start']);
    expect(await startOf({ start: 'node $ENTRY' })).toEqual(['npm start']);
    expect(await startOf({ start: 'nodemon server.js' })).toEqual(['npm start']);
    expect(await startOf({ start: 'node server.js', prestart: 'node migrate.js' })).toEqual(['npm start']);
  });

  it('reaches pnpm and yarn through corepack, with npm install to fall back on', async () => {
    const pnpm = await detect(
      await repo({
        'package.json': pkg({ dependencies: { a: '1' } }),
        'pnpm-lock.yaml': '',
        'server.js': '',
      }),
    );
    expect(pnpm.install).toMatchObject({
      command: 'corepack pnpm install --frozen-lockfile --prod',
      manager: 'pnpm',
      fallback: 'npm install --no-audit --no-fund --omit=dev',
    });
    const yarn = await detect(
      await repo({ 'package.json': pkg({ dependencies: { a: '1' } }), 'yarn.lock': '', 'server.js': '' }),
    );
    expect(yarn.install?.command).toBe('corepack yarn install --frozen-lockfile --production');
  });

  it('starts main, then server.js, app.js or index.js, and installs nothing without dependencies', async () => {
    expect(
      (await detect(await repo({ 'package.json': pkg({ main: 'lib/run.js' }), 'lib/run.js': '' }))).command,
    ).toEqual(['node', 'lib/run.js']);
    const plain = await detect(await repo({ 'package.json': pkg({}), 'app.js': '' }));
    expect(plain).toMatchObject({
      command: ['node', 'app.js'],
      commandFrom: 'app.js',
      install: null,
      build: null,
    });
  });

  it('publishes one *.csproj and starts its dll on $PORT, restoring once per project file', async () => {
    const dir = await repo({
      'Shop.csproj': '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>',
      'Program.cs': '',
    });
    const plan = await detect(dir);
    expect(plan.install).toMatchObject({
      command: 'dotnet restore Shop.csproj',
      keyFiles: ['Shop.csproj'],
      dirs: ['obj'],
      materialise: 'copy',
    });
    expect(plan.build).toMatch(/^dotnet publish Shop\.csproj -c Release -o \.gitpaas\/publish --no-restore/);
    expect(plan.command).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, not a template
      'ASPNETCORE_URLS=http://127.0.0.1:${PORT:-8080} exec dotnet .gitpaas/publish/Shop.dll',
    ]);
    expect(plan.env.DOTNET_CLI_TELEMETRY_OPTOUT).toBe('1');
  });

  it('picks the one web project of a .sln', async () => {
    const dir = await repo({
      'App.sln': [
        'Project("{FAE04EC0}") = "Web", "src\\Web\\Web.csproj", "{1}"',
        'Project("{FAE04EC0}") = "Lib", "src\\Lib\\Lib.csproj", "{2}"',
      ].join('\n'),
      'src/Web/Web.csproj':
        '<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><AssemblyName>Site</AssemblyName></PropertyGroup></Project>',
      'src/Lib/Lib.csproj': '<Project Sdk="Microsoft.NET.Sdk"></Project>',
    });
    const plan = await detect(dir);
    expect(plan.install?.dirs).toEqual(['src/Web/obj', 'src/Lib/obj']);
    expect(plan.install?.keyFiles).toEqual(['App.sln', 'src/Web/Web.csproj', 'src/Lib/Lib.csproj']);
    expect(plan.build).toMatch(/^dotnet publish src\/Web\/Web\.csproj /);
    expect(plan.command[0]).toMatch(/dotnet \.gitpaas\/publish\/Site\.dll$/);
  });

  it('says what to add when nothing tells what to run', async () => {
    await expect(detect(await repo({ 'README.md': '' }))).rejects.toMatchObject({
      code: 'E_DETECT',
      message: expect.stringMatching(/add a Procfile with a "web:" line, a package.json with a start script/),
    });
  });

  it('keeps given steps: --build replaces the detected install and build, --build-key the key files', async () => {
    const dir = await repo({
      'package.json': pkg({ dependencies: { a: '1' }, scripts: { build: 'x' } }),
      'server.js': '',
    });
    expect(await detect(dir, { command: ['node', 's.js'], build: 'make' })).toMatchObject({
      install: null,
      build: 'make',
      command: ['node', 's.js'],
    });
    const keyed = await detect(dir, { buildKey: ['package.json', 'prisma/schema.prisma'] });
    expect(keyed.install?.keyFiles).toEqual(['package.json', 'prisma/schema.prisma']);
  });

  it('installs nothing into a directory it does not own (directory and command modes)', async () => {
    const dir = await repo({
      'package.json': pkg({ dependencies: { a: '1' }, scripts: { start: 'node s.js' } }),
    });
    expect(await detect(dir, {}, false)).toMatchObject({
      command: ['node', 's.js'],
      install: null,
      build: null,
    });
  });
});
