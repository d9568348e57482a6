import { describe, expect, it } from 'vitest';
import { Emitter } from './events.js';

interface Events {
  tick: [n: number];
  done: [];
}

describe('Emitter', () => {
  it('gives typed events to on/once/off, and removes once listeners after one call', () => {
    const emitter = new Emitter<Events>();
    const seen: number[] = [];
    const listener = (n: number) => seen.push(n);
    emitter.on('tick', listener);
    emitter.once('tick', (n) => seen.push(n * 10));
    emitter.emit('tick', 1);
    emitter.emit('tick', 2);
    emitter.off('tick', listener);
    expect(emitter.emit('tick', 3)).toBe(false);
    expect(seen).toEqual([1, 10, 2]);
  });

  it('reports a throwing or rejecting listener instead of breaking the emitter or the other listeners', async () => {
    const errors: string[] = [];
    const emitter = new Emitter<Events>((error, event) =>
      errors.push(`${event}: ${(error as Error).message}`),
    );
    let reached = false;
    emitter.on('done', () => {
      throw new Error('sync boom');
    });
    emitter.on('done', async () => {
      throw new Error('async boom');
    });
    emitter.on('done', () => {
      reached = true;
    });
    expect(() => emitter.emit('done')).not.toThrow();
    expect(reached).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual(['done: sync boom', 'done: async boom']);
  });
});
