import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { HANDOFF_ENV, type HandoffMessage, isHandoffMessage } from './handoff-protocol.js';

/** The hook the app's Node process loads: app-hook.js next to this module, or the built one when run from source. */
function hookUrl(): string {
  const beside = new URL('./app-hook.js', import.meta.url);
  return (existsSync(beside) ? beside : new URL('../dist/app-hook.js', import.meta.url)).href;
}

/**
 * What an app process gets with --socket-handoff: NODE_OPTIONS that load the hook (added to the
 * app's own), and the marker that enrols it; the hook removes both, so what the app starts does
 * not take part.
 */
export function handoffEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const load = `--import=${hookUrl()}`;
  return {
    ...env,
    NODE_OPTIONS: env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ${load}` : load,
    [HANDOFF_ENV]: load,
  };
}

/**
 * The reloader's end of one app process's IPC channel: once the hook says its server listens on
 * $PORT, connections of the public port are handed to that process (the socket itself, not its
 * bytes); until then, or if it never says so (not a Node app, or a wrapper such as npm took the
 * channel), the proxy serves them.
 */
export class AppLink {
  private ready = false;
  private drained = false;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly child: ChildProcess) {
    child.on('message', (message: unknown) => {
      if (!isHandoffMessage(message)) return;
      if (message.event === 'ready') this.ready = true;
      if (message.event === 'drained') this.finish();
    });
    child.once('disconnect', () => {
      this.ready = false;
      this.finish();
    });
  }

  /** Hands `socket` to the app; false when it does not take connections (the caller proxies it). */
  take(socket: Socket): boolean {
    if (!this.ready || !this.child.connected) return false;
    const message: HandoffMessage = { gitpaas: 'handoff', event: 'connection' };
    // Sent once, then closed here: the app's process holds the only copy.
    this.child.send(message, socket, { keepOpen: false }, (error) => {
      if (error) socket.destroy();
    });
    return true;
  }

  /**
   * Another revision is live: the app closes its handed connections once idle, answering
   * `Connection: close` meanwhile. Resolves when none is left (or the channel is gone).
   */
  retire(): Promise<void> {
    if (!this.ready) return Promise.resolve();
    const message: HandoffMessage = { gitpaas: 'handoff', event: 'retire' };
    this.child.send(message, (error) => {
      if (error) this.finish();
    });
    return new Promise((resolve) => {
      if (this.drained) resolve();
      else this.waiters.push(resolve);
    });
  }

  private finish(): void {
    this.drained = true;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
