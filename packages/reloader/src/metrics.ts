import { createRequire } from 'node:module';
import type { Counter, Histogram, Registry } from 'prom-client';

type PromClient = typeof import('prom-client');

/** A count per label value (one label), kept in plain numbers until the registry is built. */
class Tally {
  readonly counts = new Map<string, number>();

  inc(value = ''): void {
    this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
  }
}

/** One status class's counter, bound once: this runs on every proxied request. */
export interface ClassCounter {
  inc(): void;
}

/**
 * The reloader's Prometheus metrics, in a registry of its own so hosts can merge or mount it.
 * They are counted in plain numbers from the start; prom-client (10 MB of resident memory in a
 * process that may never be scraped) is loaded when the registry is first asked for.
 */
export class ReloaderMetrics {
  private readonly restartCount = new Tally();
  private readonly releaseCount = new Tally();
  private readonly proxiedCount = new Tally();
  private readonly proxyErrorCount = new Tally();
  private readonly handedOffCount = new Tally();
  /** Until the registry exists: one number per app start, so it stays small. */
  private readyTimes: number[] | null = [];
  private histogram: Histogram | null = null;
  private readonly byClass = new Map<number, ClassCounter>();
  private built: Registry | null = null;

  readonly restarts = { inc: () => this.restartCount.inc() };
  readonly releases = { inc: ({ outcome }: { outcome: string }) => this.releaseCount.inc(outcome) };
  readonly proxyErrors = { inc: ({ reason }: { reason: string }) => this.proxyErrorCount.inc(reason) };
  /** Connections the public port handed to the app's process (--socket-handoff). */
  readonly handedOff = { inc: () => this.handedOffCount.inc() };
  readonly timeToReady = {
    observe: (seconds: number) => {
      if (this.histogram) this.histogram.observe(seconds);
      else this.readyTimes?.push(seconds);
    },
  };

  /** The proxied-requests counter for a status class. */
  proxiedByClass(status: number): ClassCounter {
    const cls = Math.floor(status / 100);
    let counter = this.byClass.get(cls);
    if (!counter) {
      const label = `${cls}xx`;
      const { counts } = this.proxiedCount;
      counter = { inc: () => counts.set(label, (counts.get(label) ?? 0) + 1) };
      this.byClass.set(cls, counter);
    }
    return counter;
  }

  get registry(): Registry {
    this.built ??= this.build(createRequire(import.meta.url)('prom-client') as PromClient);
    return this.built;
  }

  private build(prom: PromClient): Registry {
    const registry = new prom.Registry();
    // Each scrape copies the plain counts in.
    const counter = (name: string, help: string, tally: Tally, labelName?: string) =>
      new prom.Counter({
        name,
        help,
        labelNames: labelName ? [labelName] : [],
        registers: [registry],
        collect(this: Counter) {
          this.reset();
          for (const [value, count] of tally.counts) {
            if (labelName) this.inc({ [labelName]: value }, count);
            else this.inc(count);
          }
        },
      });
    counter('reloader_restarts_total', 'Restarts of the live app after it crashed', this.restartCount);
    counter(
      'reloader_releases_total',
      'Releases that ended a phase, by outcome (live, failed, superseded, retired)',
      this.releaseCount,
      'outcome',
    );
    counter(
      'reloader_proxied_requests_total',
      'Requests proxied to the app, by status class of its answer',
      this.proxiedCount,
      'code',
    );
    counter(
      'reloader_proxy_errors_total',
      'Requests and upgrades the proxy answered itself (502, or 503 when stopping), by reason (no-upstream, upstream, restart-timeout, stopping)',
      this.proxyErrorCount,
      'reason',
    );
    counter(
      'reloader_handed_off_connections_total',
      "Connections the public port handed to the app's process itself (--socket-handoff)",
      this.handedOffCount,
    );
    const histogram = new prom.Histogram({
      name: 'reloader_time_to_ready_seconds',
      help: 'From starting a new app process to it being ready',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    for (const seconds of this.readyTimes ?? []) histogram.observe(seconds);
    this.readyTimes = null;
    this.histogram = histogram;
    return registry;
  }
}
