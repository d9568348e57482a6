import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * How the remote behaves: `up` passes connections through; `down` refuses them (nothing listens on
 * the port); `stall` accepts them and never answers (a remote past its network's black hole).
 */
export type RemoteMode = 'up' | 'down' | 'stall';

/** A TCP proxy on 127.0.0.1 in front of a server, whose failure is switched on and off. */
export class FaultyLink {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private current: RemoteMode = 'up';
  /** Connections accepted while stalling (each one a sync that hung). */
  stalled = 0;

  private constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  /** Starts proxying 127.0.0.1:<port> (a free one) to 127.0.0.1:<target>. */
  static async start(target: number): Promise<FaultyLink> {
    const link = new FaultyLink(0, target);
    await link.listen(0);
    return link;
  }

  get mode(): RemoteMode {
    return this.current;
  }

  /** Switches the failure; `down` also cuts every open connection, as a remote that dies does. */
  async set(mode: RemoteMode): Promise<void> {
    if (mode === this.current) return;
    const wasDown = this.current === 'down';
    this.current = mode;
    if (mode === 'down') {
      for (const socket of this.sockets) socket.destroy();
      await new Promise<void>((resolve) => this.server!.close(() => resolve()));
      this.server = undefined;
    } else if (wasDown) {
      await this.listen(this.port);
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private listen(port: number): Promise<void> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        (this as { port: number }).port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.current === 'stall') {
      this.stalled++;
      return;
    }
    const upstream = connect(this.target, '127.0.0.1');
    this.track(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
  }
}
