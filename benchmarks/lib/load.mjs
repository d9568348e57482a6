// The steady client: one new connection every 10 ms (~100 req/s) to GET /, recording what
// each request saw. Refused/reset connections, timeouts and 5xx are failures. Bounded by
// stop() and by a hard cap on the number of requests.
import { request } from 'node:http';

const INTERVAL_MS = 10;
const MAX_REQUESTS = 60_000;
const MAX_IN_FLIGHT = 200;

export function startLoad(port) {
  const records = [];
  let inFlight = 0;
  let skipped = 0;
  const fire = () => {
    if (records.length >= MAX_REQUESTS) return stop();
    if (inFlight >= MAX_IN_FLIGHT) {
      skipped++;
      return;
    }
    const record = { sent: performance.now(), done: 0, ok: false, body: '', error: '' };
    records.push(record);
    inFlight++;
    const finish = (ok, body, error) => {
      if (record.done) return;
      record.done = performance.now();
      record.ok = ok;
      record.body = body;
      record.error = error;
      inFlight--;
    };
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () =>
        finish(res.statusCode < 500, body.trim(), res.statusCode >= 500 ? `HTTP ${res.statusCode}` : ''),
      );
      res.on('error', (error) => finish(false, '', error.code ?? error.message));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (error) => finish(false, '', error.code ?? error.message));
    req.end();
  };
  const timer = setInterval(fire, INTERVAL_MS);
  function stop() {
    clearInterval(timer);
  }
  return {
    records,
    stop,
    get skipped() {
      return skipped;
    },
    /** First finished response showing `version` to a request sent at or after `since`. */
    firstSeen(version, since) {
      for (const r of records) if (r.sent >= since && r.done && r.ok && r.body === version) return r;
      return undefined;
    },
  };
}

/** Failures among requests sent in [from, to), and the longest unbroken run of them in ms. */
export function failuresBetween(records, from, to) {
  let failed = 0;
  let total = 0;
  let longestGap = 0;
  let runStart = null;
  const kinds = {};
  for (const r of records) {
    if (r.sent < from || r.sent >= to || !r.done) continue;
    total++;
    if (r.ok) {
      if (runStart !== null) longestGap = Math.max(longestGap, r.sent - runStart);
      runStart = null;
      continue;
    }
    failed++;
    kinds[r.error] = (kinds[r.error] ?? 0) + 1;
    if (runStart === null) runStart = r.sent;
  }
  if (runStart !== null) longestGap = Math.max(longestGap, to - runStart);
  return { total, failed, longestGap, kinds };
}
