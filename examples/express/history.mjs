// The example's history, one commit at a time, for the tests and the benchmark that deploy it
// (examples/express is commit 1). Each step lists the files it writes over the previous commit.
// What each step should do to the dependency cache is in `cache`.
import { readFileSync } from 'node:fs';

const here = new URL('./', import.meta.url);
const server = readFileSync(new URL('server.js', here), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('package.json', here), 'utf8'));

const withColors = {
  ...pkg,
  dependencies: { ...pkg.dependencies, picocolors: '^1.1.1' },
};
// picocolors is in no dependency of express, so loading it shows whether it is installed.
const usingColors = server.replace(
  "const message = 'Hello from Express';",
  "const message = 'Hello from Express, colours ' + (require('picocolors').isColorSupported ? 'on' : 'off');",
);

export const history = [
  { message: 'An Express app', files: {}, cache: 'miss' },
  {
    message: 'Change the greeting (code only)',
    files: { 'server.js': server.replace("'Hello from Express'", "'Hello again from Express'") },
    cache: 'hit',
  },
  {
    message: 'Add picocolors (a new dependency)',
    files: { 'package.json': `${JSON.stringify(withColors, null, 2)}\n`, 'server.js': usingColors },
    cache: 'miss',
  },
  {
    message: 'Drop picocolors again (a removed dependency)',
    files: { 'package.json': `${JSON.stringify(pkg, null, 2)}\n`, 'server.js': server },
    cache: 'hit',
  },
];
