// Loaded into the app's own Node process with --socket-handoff (NODE_OPTIONS=--import): it finds
// the server the app starts on $PORT, tells the reloader over the IPC channel that it takes
// connections, and serves those the reloader hands over as if it had accepted them itself. It
// adds nothing to a request until the reloader retires it; from then on answers say
// `Connection: close` and idle connections are closed, so clients move on to the new revision.
// It imports nothing but Node's own modules.
import type { Server as HttpServer, ServerResponse } from 'node:http';
import { Server, type Socket } from 'node:net';
import { HANDOFF_ENV, type HandoffMessage, IDLE_CLOSE_MS, isHandoffMessage } from './handoff-protocol.js';

function send(message: HandoffMessage): void {
  process.send?.(message);
}

/** Takes part only in the process the reloader started; what the app starts does not inherit it. */
function enrolled(): boolean {
  const marker = process.env[HANDOFF_ENV];
  if (!marker) return false;
  delete process.env[HANDOFF_ENV];
  const options = process.env.NODE_OPTIONS?.replace(marker, '').trim();
  if (options) process.env.NODE_OPTIONS = options;
  else delete process.env.NODE_OPTIONS;
  return typeof process.send === 'function';
}

function hook(port: number): void {
  let app: Server | null = null;
  /** Connections handed over and still open. */
  const handed = new Set<Socket>();
  let retired = false;
  let drained = false;

  // The app's server is the one that ends up listening on $PORT, whatever framework made it.
  const listen = Server.prototype.listen;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    this.once('listening', () => {
      const address = this.address();
      if (!app && typeof address === 'object' && address?.port === port) {
        app = this;
        send({ gitpaas: 'handoff', event: 'ready' });
      }
    });
    return (listen as (...a: unknown[]) => Server).apply(this, args);
  } as Server['listen'];

  const checkDrained = () => {
    if (retired && !drained && handed.size === 0) {
      drained = true;
      send({ gitpaas: 'handoff', event: 'drained' });
    }
  };

  const retire = (server: Server) => {
    retired = true;
    // Clients with a request under way are told to reconnect (to the new revision) by its answer.
    server.prependListener('request', (_req: unknown, res: ServerResponse) => {
      if (!res.headersSent) res.setHeader('connection', 'close');
    });
    // Closing a connection races with a request its client sends at that moment: one that stayed
    // idle for a second after the switch is not about to carry one. Node's closeIdleConnections
    // leaves those with a request under way alone.
    const closeIdle = (server as HttpServer).closeIdleConnections?.bind(server);
    if (closeIdle) {
      const timer = setInterval(() => {
        closeIdle();
        if (drained) clearInterval(timer);
      }, IDLE_CLOSE_MS);
      timer.unref();
    }
    checkDrained();
  };

  process.on('message', (message: unknown, socket?: Socket) => {
    if (!isHandoffMessage(message)) return;
    if (message.event === 'connection') {
      if (!socket) return;
      if (!app || retired) {
        socket.destroy();
        return;
      }
      handed.add(socket);
      socket.once('close', () => {
        handed.delete(socket);
        checkDrained();
      });
      app.emit('connection', socket);
    } else if (message.event === 'retire' && app && !retired) {
      retire(app);
    }
  });
  // The channel must not keep an app alive that would otherwise exit.
  process.channel?.unref();
}

if (enrolled()) hook(Number(process.env.PORT));
