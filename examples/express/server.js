// An Express app as gitpaas finds it in the wild: no lockfile, no health path, a start script.
// `/` answers the revision it runs (GITPAAS_REVISION, set by the reloader) and which optional
// dependencies it can load, so a deployment shows a dependency arriving and leaving.
const express = require('express');

const app = express();
const revision = process.env.GITPAAS_REVISION ?? 'local';
const message = 'Hello from Express';
const loadable = (name) => {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
};

app.get('/', (_req, res) => {
  res.json({ revision, message, dependencies: { express: true, picocolors: loadable('picocolors') } });
});

const server = app.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(`listening on ${server.address().port}, revision ${revision.slice(0, 7)}`);
});
// Finish in-flight requests, then exit, when gitpaas (or anyone) sends SIGTERM.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
