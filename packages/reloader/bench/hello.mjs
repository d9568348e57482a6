// The benchmark's hello-world app: answers every request with its revision.
import { createServer } from 'node:http';

const revision = process.env.GITPAAS_REVISION ?? 'direct';
createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(revision);
}).listen(Number(process.env.PORT), '127.0.0.1');
