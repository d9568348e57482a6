import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Registry } from 'prom-client';

type Prom = typeof PromClient;
let loaded: Prom | null = null;

/**
 * prom-client, loaded when the first metric is made (CommonJS, so synchronously): a bin that
 * serves no metrics never pays for it (about 10 MB of memory and a third of the start-up).
 */
export function promClient(): Prom {
  loaded ??= createRequire(import.meta.url)('prom-client') as Prom;
  return loaded;
}

/** What a metric is when nothing can read it (a registry of null): every call does nothing. */
const NOOP: Record<string, () => unknown> = {
  inc: () => {},
  dec: () => {},
  set: () => {},
  reset: () => {},
  observe: () => {},
  labels: () => NOOP,
};

/** Makes a metric in `registry`, or one that records nothing when there is no registry. */
export function metric<M>(registry: Registry | null, make: (prom: Prom, registers: Registry[]) => M): M {
  return registry ? make(promClient(), [registry]) : (NOOP as unknown as M);
}
