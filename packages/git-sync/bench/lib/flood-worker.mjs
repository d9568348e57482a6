// A worker thread of bench/trigger-flood.mjs: `connections` keep-alive connections sending signed
// POST /sync back to back until `until` (a Date.now() value); posts the count of answers by status.
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { signedPush } from './harness.mjs';

const { port, connections, until } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: connections });
const { body, headers } = signedPush();
const statuses = {};

function post() {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/sync',
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          resolve();
        });
      },
    );
    req.on('error', (error) => {
      statuses[error.code ?? 'error'] = (statuses[error.code ?? 'error'] ?? 0) + 1;
      resolve();
    });
    req.end(body);
  });
}

await Promise.all(
  Array.from({ length: connections }, async () => {
    while (Date.now() < until) await post();
  }),
);
agent.destroy();
parentPort.postMessage(statuses);
