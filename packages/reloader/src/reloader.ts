import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Emitter } from '@gitpaas/core';
import type { Registry } from 'prom-client';
import { Builder } from './build.js';
import { exitStatus } from './child.js';
import type { Context } from './context.js';
import { Dashboard } from './dashboard-http.js';
import { Deploys } from './deploy.js';
import { messageOf, shortRevision } from './format.js';
import type { Running } from './launch.js';
import { Ledger, type Release } from './ledger.js';
import { LogStore } from './logs.js';
import { ReloaderMetrics } from './metrics.js';
import { type ReloaderOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { HandoffProxy } from './proxy.js';
import { closeServer, listenStatus, serveStatus, statusOf } from './status-server.js';
import { Supervisor } from './supervise.js';
import type { Reloader, ReloaderEvents, ReloaderStatus } from './types.js';
import { startWatching, type Target, type Watching } from './watch.js';

/** Resolves the options once, here at the door (defaults, type and range checks), then builds the reloader. */
export function createReloader(options: ReloaderOptions): Reloader {
  return new ReloaderImpl(resolveOptions(options));
}

/**
 * The coordinator: owns the state (live process, retiring ones, timers, lifetime) and wires the
 * parts — watch.ts detects, deploy.ts builds/launches/switches, supervise.ts restarts crashes,
 * status-server.ts answers /status and /metrics.
 */
class ReloaderImpl extends Emitter<ReloaderEvents> implements Reloader, Context {
  readonly metrics = new ReloaderMetrics();
  readonly ledger: Ledger;
  /** The output of the last releases under --state-dir/logs. */
  readonly logs: LogStore | null;
  readonly proxy: HandoffProxy | null;
  readonly retiring = new Set<Running>();
  readonly deploys: Deploys = new Deploys(this);
  readonly supervisor: Supervisor = new Supervisor(this);
  readonly builder: Builder;
  live: Running | null = null;
  stopped = false;
  private mode: ReloaderStatus['mode'] = 'command';
  private watching: Watching | null = null;
  private statusServer: Server | null = null;
  private readonly dashboard: Dashboard;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly lifetimeController = new AbortController();
  private stopping: Promise<void> = Promise.resolve();
  private exitStatus = 0;

  constructor(readonly options: ResolvedOptions) {
    // A listener's error is the caller's bug: logged, and the deploy that emitted goes on.
    super((error, event) =>
      options.logger.error(`a '${event}' listener threw; carrying on`, { error: messageOf(error) }),
    );
    const { logger } = options;
    this.ledger = new Ledger(options.stateDir, logger);
    this.builder = new Builder(this);
    const logs = options.stateDir ? new LogStore(options.stateDir, logger) : null;
    this.logs = logs;
    if (logs) {
      this.on('output', (e) => logs.append(e.release, e.stream, e.line));
      this.on('release', (r) => r.outcome !== 'live' && r.outcome !== 'starting' && logs.close(r.id));
    }
    this.dashboard = new Dashboard({
      status: () => this.status(),
      releases: () => this.ledger.releases,
      events: this,
      logs,
      sync: options.sync,
      redact: options.redact,
    });
    this.proxy =
      options.port !== undefined
        ? new HandoffProxy(
            {
              onResponse: (status) => this.metrics.proxiedByClass(status).inc(),
              onError: (reason, detail) => {
                this.metrics.proxyErrors.inc({ reason });
                logger.debug('proxy answered 502', { reason, detail });
              },
              onHandedOff: () => this.metrics.handedOff.inc(),
            },
            options.keepAliveTimeout,
            options.socketHandoff,
          )
        : null;
  }

  get registry(): Registry {
    return this.metrics.registry;
  }

  get exitCode(): number {
    return this.exitStatus;
  }

  get lifetime(): AbortSignal {
    return this.lifetimeController.signal;
  }

  async start(): Promise<void> {
    const { port, host, httpBind } = this.options;
    if (this.proxy && port !== undefined) await this.proxy.listen(port, host);
    try {
      if (httpBind) this.statusServer = await listenStatus(httpBind, (req, res) => this.handleHttp(req, res));
      await this.ledger.load();
      const watching = await startWatching(this.options, this.lifetime, (target) => this.detected(target));
      if (!watching) return;
      this.watching = watching;
      this.mode = watching.mode;
      await this.deploys.push(watching.first);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return this.stopping;
    this.stopped = true;
    this.stopping = this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.lifetimeController.abort();
    for (const timer of this.timers) clearTimeout(timer);
    await this.watching?.stop();
    await this.deploys.stop();
    await this.supervisor.idle();
    const proxyClosed = this.proxy?.close();
    const live = this.live;
    const all = [...this.retiring, ...(live ? [live] : [])];
    await Promise.all(all.map((running) => running.child.stop()));
    for (const running of all) running.upstream?.close();
    if (live) {
      this.exitStatus = exitStatus(live.child.exit);
      if (live.release.outcome === 'live') this.end(live.release, 'retired', 'the reloader stopped');
    }
    this.proxy?.closeAll();
    await proxyClosed;
    this.dashboard.close();
    if (this.statusServer) await closeServer(this.statusServer);
    await this.builder.idle();
    await this.ledger.flush();
    this.logs?.closeAll();
  }

  get watchesRevisions(): boolean {
    return this.mode === 'revision';
  }

  status(): ReloaderStatus {
    return statusOf(this.mode, this.live, this.ledger);
  }

  handleHttp(req: IncomingMessage, res: ServerResponse): boolean {
    return serveStatus(req, res, () => this.status(), this.registry) || this.dashboard.handle(req, res);
  }

  end(release: Release, outcome: Release['outcome'], reason?: string): void {
    release.outcome = outcome;
    if (reason) release.reason = this.options.redact(reason);
    if (outcome !== 'live') release.times.endedAt = new Date().toISOString();
    this.metrics.releases.inc({ outcome });
    this.ledger.record(release);
    this.emit('release', release);
  }

  later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  /** A new revision (or a directory change) was detected. */
  private detected(target: Target): void {
    if (this.stopped) return;
    const what = target.revision ? `new revision ${shortRevision(target.revision)}` : 'change detected';
    this.options.logger.info(what, { revision: target.revision, dir: target.dir });
    void this.deploys.push(target);
  }
}
