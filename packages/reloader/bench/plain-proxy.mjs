// Baseline: the 10-line node:http reverse proxy (keep-alive agent), PORT → TARGET.
import { Agent, createServer, request } from 'node:http';

const agent = new Agent({ keepAlive: true });
createServer((req, res) => {
  const out = request({
    host: '127.0.0.1',
    port: Number(process.env.TARGET),
    method: req.method,
    path: req.url,
    headers: req.headers,
    agent,
  });
  out.on('response', (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  out.on('error', () => res.destroy());
  req.pipe(out);
}).listen(Number(process.env.PORT), '127.0.0.1');
