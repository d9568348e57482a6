import { Counter, Histogram, Registry } from 'prom-client';

type CounterChild = ReturnType<Counter['labels']>;

/** The reloader's Prometheus metrics, in a registry of its own so hosts can merge or mount it. */
export class ReloaderMetrics {
  readonly registry = new Registry();
  readonly restarts = new Counter({
    name: 'reloader_restarts_total',
    help: 'Restarts of the live app after it crashed',
    registers: [this.registry],
  });
  readonly releases = new Counter({
    name: 'reloader_releases_total',
    help: 'Releases that ended a phase, by outcome (live, failed, superseded, retired)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly timeToReady = new Histogram({
    name: 'reloader_time_to_ready_seconds',
    help: 'From starting a new app process to it being ready',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly proxied = new Counter({
    name: 'reloader_proxied_requests_total',
    help: 'Requests proxied to the app, by status class of its answer',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly proxyErrors = new Counter({
    name: 'reloader_proxy_errors_total',
    help: 'Requests and upgrades the proxy answered itself (502, or 503 when stopping), by reason (no-upstream, upstream, restart-timeout, stopping)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly byClass = new Map<number, CounterChild>();

  /** The proxied-requests counter for a status class, bound once: this runs on every request. */
  proxiedByClass(status: number): CounterChild {
    const cls = Math.floor(status / 100);
    let child = this.byClass.get(cls);
    if (!child) {
      child = this.proxied.labels(`${cls}xx`);
      this.byClass.set(cls, child);
    }
    return child;
  }
}
