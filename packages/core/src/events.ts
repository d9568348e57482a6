import { EventEmitter } from 'node:events';

type EventMap<T> = Record<keyof T, unknown[]>;
type Key<K, T> = K | keyof T;
type Args<K, T> = K extends keyof T ? T[K] : never;

/**
 * The event style of every gitpaas library (as chokidar's FSWatcher): a typed map of events to
 * listener arguments, with typed `on`/`once`/`off`/`emit`. A listener that throws (or rejects)
 * breaks neither the library's own work nor the other listeners: the error goes to
 * `listenerError` (the libraries log it).
 */
export class Emitter<Events extends EventMap<Events>> extends EventEmitter<Events> {
  private readonly listenerError: (error: unknown, event: string) => void;

  constructor(listenerError: (error: unknown, event: string) => void = () => {}) {
    super();
    this.listenerError = listenerError;
  }

  // @ts-expect-error same signature as EventEmitter's, which TS cannot match through its conditional types
  override emit<K>(event: Key<K, Events>, ...args: Args<K, Events>): boolean {
    // rawListeners keeps the once() wrappers, so calling them removes them as usual.
    const listeners = this.rawListeners(event as never) as unknown as Array<(...a: unknown[]) => unknown>;
    for (const listener of listeners) {
      try {
        const result = listener.apply(this, args as unknown[]);
        if (result instanceof Promise)
          result.catch((error: unknown) => this.listenerError(error, String(event)));
      } catch (error) {
        this.listenerError(error, String(event));
      }
    }
    return listeners.length > 0;
  }
}
