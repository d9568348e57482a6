import { Emitter, type Logger, type Redactor, silentLogger } from '@gitpaas/core';
import type { Counter, Registry } from 'prom-client';
import type { ResolvedOptions } from './config.js';
import { createExecHook } from './exechook.js';
import { metric } from './prom.js';
import { createWebhook } from './webhook.js';

/** Outcome of one hook attempt. `output` holds the last lines the hook printed (already redacted). */
export interface HookResult {
  ok: boolean;
  reason?: string;
  output?: string[];
}

/** A hook run once per published hash, such as the exec hook or the webhook. */
export interface Hook {
  /** The `name` label of `git_sync_hook_run_count_total` (`exechook`, `webhook`). */
  readonly name: string;
  run(hash: string, signal: AbortSignal): Promise<HookResult>;
}

export interface HookRunEvent extends HookResult {
  name: string;
  hash: string;
  attempt: number;
  durationMs: number;
}

export type HookRunCounter = Counter<'name' | 'status'>;

/** kubernetes/git-sync's hook metric; exec hook, webhook and gate share it, so it is created once per registry. */
export function hookRunCounter(registry: Registry | null): HookRunCounter {
  const name = 'git_sync_hook_run_count_total';
  const existing = registry?.getSingleMetric(name);
  if (existing) return existing as HookRunCounter;
  return metric(
    registry,
    (prom, registers) =>
      new prom.Counter({
        name,
        help: 'How many hook runs completed, partitioned by name and state (success, error)',
        labelNames: ['name', 'status'],
        registers,
      }),
  );
}

export interface HookRunnerOptions {
  /** Wait between a failed attempt and the next one. */
  backoffMs: number;
  counter: HookRunCounter;
  logger?: Logger;
}

/**
 * Runs a hook for the newest published hash, as kubernetes/git-sync does: a failed run is
 * retried after the backoff until it succeeds, and a newer hash replaces the pending one
 * (only the latest hash is delivered). Runs never overlap.
 */
export class HookRunner extends Emitter<{ run: [HookRunEvent] }> {
  readonly #hook: Hook;
  readonly #options: HookRunnerOptions;
  readonly #abort = new AbortController();
  #latest: string | null = null;
  #delivered: string | null = null;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #settleFirst: (e: HookRunEvent) => void = () => {};
  readonly #first = new Promise<HookRunEvent>((resolve) => {
    this.#settleFirst = resolve;
  });

  constructor(hook: Hook, options: HookRunnerOptions) {
    super((error) =>
      (options.logger ?? silentLogger).error(`a ${hook.name} run listener threw`, { error: String(error) }),
    );
    this.#hook = hook;
    this.#options = options;
  }

  get name(): string {
    return this.#hook.name;
  }

  /** Queues `hash`; a retry waiting in its backoff moves on to it at once. */
  send(hash: string): void {
    if (this.#abort.signal.aborted) return;
    this.#latest = hash;
    this.#wake?.();
    this.#loop ??= this.#run().finally(() => {
      this.#loop = null;
    });
  }

  /** Resolves once the latest hash was delivered (or the runner stopped). */
  async idle(): Promise<void> {
    while (this.#loop) await this.#loop;
  }

  /** The outcome of the first attempt (what `--one-time` waits for, as kubernetes/git-sync does). */
  firstResult(): Promise<HookRunEvent> {
    return this.#first;
  }

  /** Kills a running attempt and stops retrying. */
  async stop(): Promise<void> {
    this.#settleFirst({
      name: this.name,
      hash: this.#latest ?? '',
      attempt: 0,
      durationMs: 0,
      ok: false,
      reason: 'stopped',
    });
    this.#abort.abort();
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { logger = silentLogger, counter, backoffMs } = this.#options;
    const signal = this.#abort.signal;
    let attempt = 0;
    let previous: string | null = null;
    while (!signal.aborted && this.#latest !== null && this.#latest !== this.#delivered) {
      const hash = this.#latest;
      attempt = hash === previous ? attempt + 1 : 1;
      previous = hash;
      const started = performance.now();
      let result: HookResult;
      try {
        result = await this.#hook.run(hash, signal);
      } catch (error) {
        result = { ok: false, reason: (error as Error).message };
      }
      if (signal.aborted) return;
      const event: HookRunEvent = {
        ...result,
        name: this.#hook.name,
        hash,
        attempt,
        durationMs: Math.round(performance.now() - started),
      };
      counter.inc({ name: this.#hook.name, status: result.ok ? 'success' : 'error' });
      if (result.ok) {
        this.#delivered = hash;
        logger.info(`${this.#hook.name} succeeded`, { hash, attempt, output: result.output });
      } else {
        logger.warn(`${this.#hook.name} failed, retrying in ${backoffMs} ms: ${result.reason}`, {
          hash,
          attempt,
          output: result.output,
        });
      }
      this.#settleFirst(event);
      this.emit('run', event);
      if (!result.ok) await this.#backoff(hash);
    }
  }

  /** Sleeps the backoff, cut short by stop() or by a newer hash. */
  #backoff(hash: string): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, this.#options.backoffMs);
      this.#wake = () => {
        if (this.#abort.signal.aborted || this.#latest !== hash) done();
      };
    });
  }
}

type HookFlags = Pick<
  ResolvedOptions,
  | 'exechookCommand'
  | 'exechookTimeout'
  | 'exechookBackoff'
  | 'webhookUrl'
  | 'webhookMethod'
  | 'webhookSuccessStatus'
  | 'webhookTimeout'
  | 'webhookBackoff'
>;

/** --exechook-command (run in the published worktree) and --webhook-url, each as a runner. */
export function hookRunners(
  o: HookFlags,
  worktreeOf: (hash: string) => string,
  { registry, redactor, logger }: { registry: Registry | null; redactor: Redactor; logger: Logger },
): HookRunner[] {
  const counter = hookRunCounter(registry);
  const redact = (text: string) => redactor.redact(text);
  const runners: HookRunner[] = [];
  if (o.exechookCommand) {
    const hook = createExecHook({
      command: o.exechookCommand,
      timeoutMs: o.exechookTimeout,
      worktreeOf,
      redact,
    });
    runners.push(new HookRunner(hook, { backoffMs: o.exechookBackoff, counter, logger }));
  }
  if (o.webhookUrl) {
    redactor.addUrl(o.webhookUrl);
    const hook = createWebhook({
      url: o.webhookUrl,
      method: o.webhookMethod,
      successStatus: o.webhookSuccessStatus,
      timeoutMs: o.webhookTimeout,
      redact,
    });
    runners.push(new HookRunner(hook, { backoffMs: o.webhookBackoff, counter, logger }));
  }
  return runners;
}
