import { connect } from 'node:net';

/** What a trickling client got when the server cut it. */
export interface Trickled {
  /** The status line of the answer, '' when there was none. */
  answer: string;
  seconds: number;
  /** How many bytes of `rest` were sent before the cut. */
  sent: number;
}

/**
 * A slow-loris client: a raw connection to 127.0.0.1 that sends `head` at once, then `rest` one
 * byte a second, until the server cuts it. Bounded: a server that never cuts it is left after
 * `boundMs` (the caller's check on the answer then fails).
 */
export function trickle(port: number, head: string, rest: string, boundMs = 60_000) {
  const socket = connect(port, '127.0.0.1');
  const startedAt = Date.now();
  let got = '';
  let sent = 0;
  socket.write(head);
  const timer = setInterval(() => {
    if (sent < rest.length) socket.write(rest[sent++]!);
  }, 1000);
  socket.on('data', (chunk: Buffer) => {
    got += chunk;
  });
  socket.on('error', () => {});
  const bound = setTimeout(() => socket.destroy(), boundMs);
  const closed = new Promise<Trickled>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(bound);
      resolve({ answer: got.split('\r\n')[0] ?? '', seconds: (Date.now() - startedAt) / 1000, sent });
    }),
  );
  return { closed, stop: () => socket.destroy() };
}
