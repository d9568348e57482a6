import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * After a 413, what is still read and dropped so the client can read the answer (bytes, then
 * time). Closing with the client's bytes unread makes the kernel reset the connection, and a reset
 * can take the answer with it: a careless client streaming tens of MiB at loopback speed must be
 * read to its end, so the time is the real bound (4 MiB lost the answer now and then, under load).
 */
export const LINGER_BYTES = 256 * 1024 * 1024;
export const LINGER_MS = 5000;

/**
 * The request body; 'too_large' as soon as it is over `limit` bytes (declared or streamed), the
 * rest then left to `answerTooLarge`; 'aborted' when the client goes away mid-body.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large' | 'aborted'> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve('too_large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: Buffer | 'too_large' | 'aborted') => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) done('too_large');
      else chunks.push(chunk);
    };
    const onEnd = () => done(Buffer.concat(chunks));
    const onClose = () => done('aborted');
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
  });
}

/**
 * Answers 413 with `Connection: close` so the client reads it instead of a reset. Closing at once
 * while the client is still sending makes the kernel reset the connection, which can cost the
 * client the answer (curl reports "Send failure: Broken pipe"). So the answer is sent complete
 * (its Content-Length), then the body is read and dropped, up to LINGER_BYTES or LINGER_MS,
 * before the connection closes: a lingering close, as nginx and Go's server do.
 */
export function answerTooLarge(req: IncomingMessage, res: ServerResponse, body: string): void {
  res.writeHead(413, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.write(body);
  if (req.complete || req.destroyed) {
    res.end();
    return;
  }
  let dropped = 0;
  const close = () => {
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', close);
    req.off('close', close);
    res.end();
  };
  const onData = (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) close();
  };
  const timer = setTimeout(close, LINGER_MS);
  req.on('data', onData);
  req.once('end', close);
  req.once('close', close);
  req.resume();
}
