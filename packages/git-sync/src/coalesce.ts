/**
 * Wraps `run` so bursts collapse: at most one call runs and one waits. Every caller that
 * arrives while a run is in progress shares the single queued run, which starts after the
 * current one and so sees everything that happened before the caller asked.
 */
export function coalesce(run: (reason: string) => Promise<void>): (reason?: string) => Promise<void> {
  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  const reasons = new Set<string>();

  const start = (): Promise<void> => {
    const why = [...reasons].join(', ') || 'sync';
    reasons.clear();
    const current = Promise.resolve()
      .then(() => run(why))
      .finally(() => {
        if (running === current) running = null;
      });
    running = current;
    return current;
  };

  return (reason = 'sync') => {
    reasons.add(reason);
    if (!running) return start();
    queued ??= running
      .catch(() => {})
      .then(() => {
        queued = null;
        return start();
      });
    return queued;
  };
}
