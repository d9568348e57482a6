import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs, script, waitFor } from '../test/helpers/index.js';
import { createExecHook } from './exechook.js';
import { type Hook, type HookRunEvent, HookRunner, hookRunCounter } from './hooks.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

async function counts(registry: Registry) {
  const metric = await registry.getSingleMetric('git_sync_hook_run_count_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [`${v.labels.name}/${v.labels.status}`, v.value]));
}

const runners: HookRunner[] = [];
function runner(hook: Hook, registry: Registry, backoffMs: number) {
  const r = new HookRunner(hook, { backoffMs, counter: hookRunCounter(registry) });
  runners.push(r);
  const events: HookRunEvent[] = [];
  r.on('run', (e) => events.push(e));
  return { runner: r, events };
}

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
  await removeTempDirs();
});

describe('HookRunner', () => {
  it('retries a failing exec hook after the backoff until it succeeds', async () => {
    const dir = await makeTempDir();
    const log = join(dir, 'log');
    // Fails twice, then succeeds: the attempt count lives in a file next to the hook.
    const hook = await script(
      dir,
      'hook',
      `n=$(cat ${dir}/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/n
echo "$n $GITSYNC_HASH $(pwd)" >> ${log}
echo "attempt $n"; [ $n -ge 3 ]`,
    );
    const registry = new Registry();
    const { runner: r, events } = runner(
      createExecHook({ command: hook, timeoutMs: 30_000, worktreeOf: () => dir }),
      registry,
      50,
    );
    r.send(A);
    await waitFor(() => events.some((e) => e.ok), { message: 'a successful run' });
    await r.idle();
    expect(events.map((e) => [e.attempt, e.ok])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(events[0]!.reason).toBe(`${hook} exited with code 1`);
    expect(events[0]!.output).toEqual(['attempt 1']);
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([
      `1 ${A} ${dir}`,
      `2 ${A} ${dir}`,
      `3 ${A} ${dir}`,
    ]);
    expect(await counts(registry)).toEqual({ 'exechook/error': 2, 'exechook/success': 1 });
  });

  it('moves on to a newer hash at once instead of retrying the old one', async () => {
    const attempts: string[] = [];
    const hook: Hook = {
      name: 'exechook',
      run: async (hash) => {
        attempts.push(hash);
        return hash === A ? { ok: false, reason: 'A is broken' } : { ok: true };
      },
    };
    // A backoff far longer than the test: B must not wait for it.
    const { runner: r, events } = runner(hook, new Registry(), 600_000);
    r.send(A);
    await waitFor(() => events.length === 1, { message: 'the failed run of A' });
    r.send(B);
    await waitFor(() => events.some((e) => e.hash === B && e.ok), { message: 'B delivered' });
    await r.idle();
    expect(attempts).toEqual([A, B]);
  });

  it('delivers only the latest of the hashes sent while a run is in progress', async () => {
    const attempts: string[] = [];
    let release: () => void = () => {};
    const hook: Hook = {
      name: 'webhook',
      run: async (hash) => {
        attempts.push(hash);
        if (hash === A) await new Promise<void>((resolve) => (release = resolve));
        return { ok: true };
      },
    };
    const { runner: r } = runner(hook, new Registry(), 10);
    r.send(A);
    await waitFor(() => attempts.length === 1, { message: 'the run of A' });
    r.send(B);
    r.send(C);
    release();
    await waitFor(() => attempts.includes(C), { message: 'C delivered' });
    await r.idle();
    expect(attempts).toEqual([A, C]);
  });

  it('does not run a hash again once it was delivered', async () => {
    const attempts: string[] = [];
    const hook: Hook = {
      name: 'exechook',
      run: async (hash) => {
        attempts.push(hash);
        return { ok: true };
      },
    };
    const { runner: r } = runner(hook, new Registry(), 10);
    r.send(A);
    await r.idle();
    r.send(A);
    await r.idle();
    expect(attempts).toEqual([A]);
  });

  it('stop() kills a running exec hook and stops retrying', async () => {
    const dir = await makeTempDir();
    const hook = await script(dir, 'hook', `echo $$ > ${dir}/pid; exec sleep 600`);
    const { runner: r, events } = runner(
      createExecHook({ command: hook, timeoutMs: 600_000, worktreeOf: () => dir }),
      new Registry(),
      10,
    );
    r.send(A);
    const pid = await waitFor(async () => Number(await readFile(join(dir, 'pid'), 'utf8')), {
      message: 'the hook to start',
    });
    await r.stop();
    await waitFor(
      async () => {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
        return stat === null || stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z';
      },
      { message: 'the hook process to die' },
    );
    expect(events).toEqual([]);
  });
});
