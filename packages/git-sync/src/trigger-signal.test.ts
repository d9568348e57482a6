import { describe, expect, it } from 'vitest';
import { waitFor } from '../test/helpers/index.js';
import { parseSignal, syncOnSignal } from './trigger-signal.js';

describe('--sync-on-signal', () => {
  it('accepts a signal by name, by short name in any case, or by number', () => {
    expect(parseSignal('SIGHUP')).toBe('SIGHUP');
    expect(parseSignal('hup')).toBe('SIGHUP');
    expect(parseSignal('USR1')).toBe('SIGUSR1');
    expect(parseSignal('10')).toBe('SIGUSR1');
    expect(parseSignal('1')).toBe('SIGHUP');
  });

  it('refuses unknown names and signals no process can catch', () => {
    for (const bad of ['SIGNOPE', '', '999', 'KILL', 'SIGSTOP', '9']) expect(parseSignal(bad)).toBeNull();
  });

  it('syncs each time the process receives the signal, until disposed', async () => {
    const reasons: string[] = [];
    const dispose = syncOnSignal('SIGUSR2', async (reason) => {
      reasons.push(reason);
    });
    // A second listener keeps the default action (exit) away once the first is disposed.
    const keepAlive = () => {};
    process.on('SIGUSR2', keepAlive);
    try {
      process.kill(process.pid, 'SIGUSR2');
      await waitFor(() => reasons.length === 1, { message: 'the first signal' });
      process.kill(process.pid, 'SIGUSR2');
      await waitFor(() => reasons.length === 2, { message: 'the second signal' });
      dispose();
      // A listener added now runs in the same emit ours would have run in.
      const delivered = new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));
      process.kill(process.pid, 'SIGUSR2');
      await delivered;
      expect(reasons).toEqual(['signal SIGUSR2', 'signal SIGUSR2']);
    } finally {
      process.off('SIGUSR2', keepAlive);
    }
  });
});
