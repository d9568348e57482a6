// The gitpaas example app: no dependencies, listens on $PORT, answers /healthz,
// and shows the revision it runs (GITPAAS_REVISION, set by the reloader) and the
// text of message.txt, so a push is visible in the browser.
const { readFileSync } = require('node:fs');
const { createServer } = require('node:http');
const { join } = require('node:path');

// The demo's tour flips this to false to push a revision that never gets healthy.
const healthy = true;

const port = Number(process.env.PORT || 3000);
const revision = process.env.GITPAAS_REVISION || 'unknown';
const message = readFileSync(join(__dirname, 'message.txt'), 'utf8').trim();
const startedAt = new Date().toISOString();

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const page = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>hello · ${revision.slice(0, 7)}</title>
<style>body{font:18px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}
code{background:#f3f3f3;padding:.1rem .3rem;border-radius:.2rem}</style></head>
<body>
<h1>${escapeHtml(message)}</h1>
<p>revision <code>${revision}</code>, started ${startedAt}</p>
</body>
</html>
`;

const server = createServer((req, res) => {
  const path = (req.url || '/').split('?')[0];
  if (path === '/healthz') {
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain' });
    res.end(healthy ? 'ok\n' : 'unhealthy\n');
  } else if (path === '/version') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify({ revision, message, startedAt })}\n`);
  } else if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  }
});

server.listen(port, () => {
  console.log(`hello ${revision.slice(0, 7)} listening on port ${port}`);
});

// Finish the requests in flight, then exit: the reloader sends SIGTERM after draining.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
