import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger } from '@gitpaas/core';
import { makeTempDir, removeTempDirs } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger, type Release } from './ledger.js';

afterEach(() => removeTempDirs());

/** Runs `count` releases through live → retired, as the reloader records them. */
function runReleases(ledger: Ledger, count: number): void {
  for (let i = 0; i < count; i++) {
    const release = ledger.create(`rev${i}`, `/releases/${i}`);
    release.outcome = 'live';
    ledger.record(release);
    release.outcome = 'retired';
    ledger.record(release);
  }
}

describe('the release ledger', () => {
  it('keeps releases.jsonl to the final lines of the newest releases, rewriting it atomically', async () => {
    const dir = await makeTempDir('reloader-ledger-');
    const ledger = new Ledger(dir, silentLogger, 3);
    await ledger.load();
    runReleases(ledger, 10);
    await ledger.flush();
    const lines = (await readFile(join(dir, 'releases.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Release);
    // Never more than twice the kept count; the last rewrite kept releases 8 to 10, and 10's
    // retirement came after it.
    expect(lines.map((release) => `${release.id} ${release.outcome}`)).toEqual([
      '8 retired',
      '9 retired',
      '10 live',
      '10 retired',
    ]);
    expect(await readdir(dir)).toEqual(['releases.jsonl']);

    const next = new Ledger(dir, silentLogger, 3);
    await next.load();
    expect(next.releases.map((release) => release.id)).toEqual([10, 9, 8]);
    expect(next.create(null, '/x').id).toBe(11);
  });
});
