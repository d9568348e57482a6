// Baseline: a bare TCP pipe (no HTTP parsing at all), PORT → TARGET.
import { connect, createServer } from 'node:net';

createServer((client) => {
  const app = connect(Number(process.env.TARGET), '127.0.0.1');
  client.pipe(app).pipe(client);
  client.on('error', () => app.destroy());
  app.on('error', () => client.destroy());
}).listen(Number(process.env.PORT), '127.0.0.1');
