// The app repository every tool deploys from: a bare repo (the "remote") and a developer
// clone that commits and pushes. The app is a tiny HTTP server whose answer is its version;
// it logs "<pid> <version>" to $BENCH_START_LOG when it starts (the start counter) and can be
// made to need BENCH_START_DELAY_MS before it listens.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SERVER_JS = `const http = require('node:http');
const fs = require('node:fs');
const { version } = require('./version.js');
if (process.env.BENCH_START_LOG) fs.appendFileSync(process.env.BENCH_START_LOG, process.pid + ' ' + version + '\\n');
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(req.url === '/healthz' ? 'ok' : version);
});
setTimeout(() => server.listen(Number(process.env.PORT), '127.0.0.1'), Number(process.env.BENCH_START_DELAY_MS || 0));
`;

export const git = (args, cwd) =>
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();

const versionJs = (version) => `module.exports = { version: '${version}' };\n`;

function writeAssets(dev, count, generation) {
  if (count === 0) return;
  const assets = join(dev, 'assets');
  mkdirSync(assets, { recursive: true });
  for (let i = 0; i < count; i++) {
    writeFileSync(
      join(assets, `a${String(i).padStart(4, '0')}.js`),
      `module.exports = ${generation * 100_000 + i};\n`,
    );
  }
}

/** A bare repo at <dir>/app.git with version v0 (and `assets` files), pushed from <dir>/dev. */
export function createAppRepo(dir, { assets = 0 } = {}) {
  const bare = join(dir, 'app.git');
  const dev = join(dir, 'dev');
  git(['init', '-q', '--bare', '--initial-branch=main', bare]);
  git(['init', '-q', '--initial-branch=main', dev]);
  writeFileSync(join(dev, 'server.js'), SERVER_JS);
  writeFileSync(join(dev, 'version.js'), versionJs('v0'));
  writeAssets(dev, assets, 0);
  git(['add', '-A'], dev);
  git(['commit', '-qm', 'v0'], dev);
  git(['remote', 'add', 'origin', bare], dev);
  git(['push', '-q', 'origin', 'main'], dev);
  return {
    bare,
    dev,
    url: `file://${bare}`,
    /** Commits version.js = `version` (and rewrites every asset when `assets` > 0), pushes. */
    push(version, { assets: touched = 0, generation = 1 } = {}) {
      writeFileSync(join(dev, 'version.js'), versionJs(version));
      writeAssets(dev, touched, generation);
      git(['add', '-A'], dev);
      git(['commit', '-qm', version], dev);
      git(['push', '-q', 'origin', 'main'], dev);
    },
  };
}
