import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';

export interface HttpGitServer {
  /** `http://127.0.0.1:<port>` — append `/<name>` for a repository under the project root. */
  url: string;
  /** Every Authorization header the server received, decoded (`user:password`), in order. */
  credentials: string[];
  /** Requests answered, by status. */
  statuses: number[];
  /** Changes the accepted credentials (rotation). */
  setCredentials(username: string, password: string): void;
  stop(): Promise<void>;
}

/**
 * A small HTTP server on 127.0.0.1 that requires basic auth and hands authenticated requests to
 * `git http-backend` (CGI) serving the repositories under `projectRoot`.
 */
export async function startHttpGitServer(
  projectRoot: string,
  auth: { username: string; password: string },
): Promise<HttpGitServer> {
  let expected = `${auth.username}:${auth.password}`;
  const credentials: string[] = [];
  const statuses: number[] = [];
  const server: Server = createServer((req, res) => {
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString() : null;
    if (given !== null) credentials.push(given);
    if (given !== expected) {
      statuses.push(401);
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    runBackend(projectRoot, req, given.split(':')[0]!, (status, headers, body) => {
      statuses.push(status);
      res.writeHead(status, headers);
      body.pipe(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    credentials,
    statuses,
    setCredentials(username, password) {
      expected = `${username}:${password}`;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function runBackend(
  projectRoot: string,
  req: IncomingMessage,
  user: string,
  respond: (status: number, headers: Record<string, string>, body: NodeJS.ReadableStream) => void,
): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: user,
      REMOTE_ADDR: '127.0.0.1',
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  req.pipe(child.stdin);
  // CGI output: headers, a blank line, then the body.
  let head = Buffer.alloc(0);
  let done = false;
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') : head.indexOf('\n\n');
    if (end < 0) return;
    const sep = head.indexOf('\r\n\r\n') >= 0 ? 4 : 2;
    child.stdout.off('data', onData);
    child.stdout.pause();
    done = true;
    const headers: Record<string, string> = {};
    let status = 200;
    for (const line of head.subarray(0, end).toString().split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    const rest = head.subarray(end + sep);
    const body = new PassThrough();
    body.write(rest);
    child.stdout.pipe(body);
    respond(status, headers, body);
  };
  child.stdout.on('data', onData);
  child.on('close', () => {
    if (!done) respond(500, { 'Content-Type': 'text/plain' }, Readable.from([]));
  });
}
