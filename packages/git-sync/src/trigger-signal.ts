import { constants } from 'node:os';

const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP']);

/**
 * `--sync-on-signal`: a name (`SIGHUP`, `HUP`, `hup`) or a number (`1`), as kubernetes/git-sync
 * accepts. Returns the canonical name, or null when it is no signal a process can catch.
 */
export function parseSignal(value: string): NodeJS.Signals | null {
  const signals = constants.signals as Record<string, number>;
  const text = value.trim();
  let name: string | undefined;
  if (/^\d+$/.test(text)) {
    const number = Number(text);
    name = Object.keys(signals).find((key) => signals[key] === number);
  } else {
    const upper = text.toUpperCase();
    name = [upper, `SIG${upper}`].find((key) => key in signals);
  }
  return name && !UNCATCHABLE.has(name) ? (name as NodeJS.Signals) : null;
}

/** Calls `syncNow` whenever the process receives `signal`; returns the function that stops listening. */
export function syncOnSignal(signal: NodeJS.Signals, syncNow: (reason: string) => Promise<void>): () => void {
  const listener = () => {
    syncNow(`signal ${signal}`).catch(() => {
      // the sync loop reports its own failures
    });
  };
  process.on(signal, listener);
  return () => {
    process.off(signal, listener);
  };
}
