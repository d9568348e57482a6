// @ts-check
// The e2e's private git remote over HTTP: Basic auth in front of `git http-backend` (CGI), on
// 127.0.0.1, so the deployments fetch with credentials from their secrets the way they would
// from a real forge. Prints one line per request: "<status> <method> <path> <user or ->".
// Usage: node git-http-server.mjs <project-root> <port> <username> <password-file>
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { PassThrough } from 'node:stream';

const [root, port, username, passwordFile] = process.argv.slice(2);
if (!root || !port || !username || !passwordFile) {
  console.error('usage: node git-http-server.mjs <project-root> <port> <username> <password-file>');
  process.exit(2);
}
const expected = `${username}:${readFileSync(passwordFile, 'utf8').trim()}`;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const header = req.headers.authorization ?? '';
  const given = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString() : null;
  const log = (/** @type {number} */ status) =>
    console.log(`${status} ${req.method} ${url.pathname} ${given === expected ? username : '-'}`);
  if (given !== expected) {
    log(401);
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
    res.end('authentication required\n');
    return;
  }
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: username,
      REMOTE_ADDR: '127.0.0.1',
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  req.pipe(child.stdin);
  // CGI output: header lines, a blank line, then the body
  let head = Buffer.alloc(0);
  const onData = (/** @type {Buffer} */ chunk) => {
    head = Buffer.concat([head, chunk]);
    const crlf = head.indexOf('\r\n\r\n');
    const end = crlf >= 0 ? crlf : head.indexOf('\n\n');
    if (end < 0) return;
    child.stdout.off('data', onData);
    /** @type {Record<string, string>} */
    const headers = {};
    let status = 200;
    for (const line of head.subarray(0, end).toString().split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    log(status);
    res.writeHead(status, headers);
    const body = new PassThrough();
    body.write(head.subarray(end + (crlf >= 0 ? 4 : 2)));
    child.stdout.pipe(body).pipe(res);
  };
  child.stdout.on('data', onData);
  child.on('close', (code) => {
    if (res.headersSent) return;
    log(500);
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`git http-backend exited with ${code}\n`);
  });
});
server.listen(Number(port), '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
