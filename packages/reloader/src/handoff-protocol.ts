// What the reloader and the hook in the app (app-hook.ts) say to each other over the app's IPC
// channel with --socket-handoff. Both sides import this file, and nothing else of each other.

/** Set in the app's environment (to the NODE_OPTIONS entry that loads the hook): take part. */
export const HANDOFF_ENV = 'GITPAAS_HANDOFF_HOOK';

/** A retired app closes its idle connections this long after the switch, and as often after. */
export const IDLE_CLOSE_MS = 1000;

export interface HandoffMessage {
  gitpaas: 'handoff';
  /**
   * ready (app → reloader): its server listens on $PORT and takes connections; connection
   * (reloader → app, with the socket); retire (reloader → app): another revision is live now;
   * drained (app → reloader): no handed connection is left.
   */
  event: 'ready' | 'connection' | 'retire' | 'drained';
}

export function isHandoffMessage(message: unknown): message is HandoffMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { gitpaas?: unknown }).gitpaas === 'handoff'
  );
}
