// The benchmark's app: `/` answers its revision (hello-world), `/100k` 100 KB, `/cpu` after 1 ms of
// CPU work, `/healthz` 200. It listens on PORT; a revision with a file named `broken` exits at start.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';

if (existsSync('broken')) {
  console.error('this revision is broken');
  process.exit(1);
}

const revision = process.env.GITPAAS_REVISION ?? 'direct';
const big = Buffer.alloc(100 * 1024, 'x');

createServer((req, res) => {
  if (req.url === '/100k') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length });
    res.end(big);
    return;
  }
  if (req.url === '/cpu') {
    const until = performance.now() + 1;
    while (performance.now() < until);
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(revision);
}).listen(Number(process.env.PORT), '127.0.0.1');
