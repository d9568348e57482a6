import { readdir } from 'node:fs/promises';
import { silentLogger } from '@gitpaas/core';
import { makeTempDir, removeTempDirs } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { type LogLine, LogStore } from './logs.js';

afterEach(() => removeTempDirs());

async function store(limits = { bytes: 1024, releases: 3 }) {
  return new LogStore(await makeTempDir('reloader-logs-'), silentLogger, limits);
}

describe('LogStore', () => {
  it('keeps each release apart, one stamped line per output line', async () => {
    const logs = await store();
    logs.append(1, 'stdout', 'starting');
    logs.append(2, 'stderr', 'boom');
    logs.append(1, 'stdout', 'listening');
    expect(logs.read(1)).toMatch(/^\S+Z out starting\n\S+Z out listening\n$/);
    expect(logs.read(2)).toMatch(/^\S+Z err boom\n$/);
    expect(logs.read(3)).toBeNull();
    expect(logs.releases()).toEqual([2, 1]);
    logs.closeAll();
  });

  it('keeps a release under its bound by dropping the older half, marked', async () => {
    const logs = await store({ bytes: 2000, releases: 3 });
    for (let i = 0; i < 200; i++) logs.append(1, 'stdout', `line ${i} ${'x'.repeat(20)}`);
    const text = logs.read(1)!;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2000);
    expect(text).toContain('older lines dropped');
    expect(text).toContain('line 199 ');
    expect(text).not.toContain('line 0 ');
    // Every line is whole after a cut.
    for (const line of text.trimEnd().split('\n'))
      expect(line).toMatch(/^\S+Z (out line \d+ x{20}|--- older)/);
    logs.closeAll();
  });

  it('keeps the logs of the newest releases only', async () => {
    const logs = await store({ bytes: 1024, releases: 3 });
    for (const id of [1, 2, 3, 4, 5]) logs.append(id, 'stdout', `release ${id}`);
    expect(logs.releases()).toEqual([5, 4, 3]);
    expect((await readdir(logs.dir)).sort()).toEqual(['3.log', '4.log', '5.log']);
    logs.closeAll();
  });

  it('tells followers every line appended after they started, and nothing after they stopped', async () => {
    const logs = await store();
    logs.append(1, 'stdout', 'before');
    const seen: LogLine[] = [];
    const stop = logs.follow((line) => seen.push(line));
    logs.append(1, 'stdout', 'during');
    logs.append(2, 'stderr', 'other release');
    stop();
    logs.append(1, 'stdout', 'after');
    expect(seen.map((line) => [line.release, line.text.split(' ').slice(1).join(' ')])).toEqual([
      [1, 'out during\n'],
      [2, 'err other release\n'],
    ]);
    logs.closeAll();
  });
});
