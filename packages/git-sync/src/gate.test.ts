import { readFile, rm, writeFile } from 'node:fs/promises';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs, script } from '../test/helpers/index.js';
import { createGate } from './gate.js';

const OLD = '0'.repeat(40);
const BAD = 'b'.repeat(40);
const GOOD = 'c'.repeat(40);

const metrics = (registry: Registry) => registry.metrics();

afterEach(removeTempDirs);

describe('pre-publish gate', () => {
  it('passes a hash whose command exits 0, run in the worktree with the hashes in env', async () => {
    const worktree = await makeTempDir();
    const command = await script(
      worktree,
      'check',
      'echo "$(pwd) $GITSYNC_HASH $GITSYNC_PREVIOUS_HASH" > gate.log',
    );
    const registry = new Registry();
    const gate = createGate({ command, timeoutMs: 30_000, registry });
    expect(await gate.check({ hash: GOOD, worktree, previousHash: OLD })).toEqual({ ok: true });
    expect((await readFile(`${worktree}/gate.log`, 'utf8')).trim()).toBe(`${worktree} ${GOOD} ${OLD}`);
    expect(gate.rejected).toBeNull();
    const text = await metrics(registry);
    expect(text).toContain('gitpaas_gate_runs_total{outcome="passed"} 1');
    expect(text).toContain('git_sync_hook_run_count_total{name="pre-publish-exechook",status="success"} 1');
  });

  it('rejects a hash whose command fails, keeps why and the last output lines, and clears it when a later hash passes', async () => {
    const worktree = await makeTempDir();
    const command = await script(
      worktree,
      'check',
      'if [ -f broken ]; then for i in 1 2 3 4 5; do echo "test $i failed"; done; exit 1; fi',
    );
    const registry = new Registry();
    const gate = createGate({ command, timeoutMs: 30_000, registry, tailLines: 3 });
    await writeFile(`${worktree}/broken`, '');
    const verdict = await gate.check({ hash: BAD, worktree });
    expect(verdict.ok).toBe(false);
    expect(gate.rejected).toMatchObject({
      hash: BAD,
      reason: `${command} exited with code 1`,
      output: ['test 3 failed', 'test 4 failed', 'test 5 failed'],
    });
    expect(gate.isRejected(BAD)).toBe(true);
    expect(gate.isRejected(GOOD)).toBe(false);
    let text = await metrics(registry);
    expect(text).toContain(`gitpaas_gate_rejected{hash="${BAD}"} 1`);
    expect(text).toContain('gitpaas_gate_runs_total{outcome="rejected"} 1');

    await rm(`${worktree}/broken`);
    expect((await gate.check({ hash: GOOD, worktree, previousHash: OLD })).ok).toBe(true);
    expect(gate.rejected).toBeNull();
    expect(gate.isRejected(BAD)).toBe(false);
    text = await metrics(registry);
    expect(text).not.toContain(`gitpaas_gate_rejected{hash="${BAD}"}`);
  });

  it('rejects a hash whose command does not finish in time', async () => {
    const worktree = await makeTempDir();
    const command = await script(worktree, 'check', 'echo checking; exec sleep 600');
    const gate = createGate({ command, timeoutMs: 300, registry: new Registry() });
    const verdict = await gate.check({ hash: BAD, worktree });
    expect(verdict).toMatchObject({ ok: false, rejection: { reason: `${command} timed out after 300 ms` } });
    expect(gate.rejected?.output).toEqual(['checking']);
  });

  it('gives no verdict when stopped mid-check', async () => {
    const worktree = await makeTempDir();
    const command = await script(worktree, 'check', 'exec sleep 600');
    const gate = createGate({ command, timeoutMs: 600_000, registry: new Registry() });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    const verdict = await gate.check({ hash: BAD, worktree, signal: abort.signal });
    expect(verdict.ok).toBe(false);
    expect(gate.rejected).toBeNull();
  });
});
