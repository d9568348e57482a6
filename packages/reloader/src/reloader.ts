import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry } from 'prom-client';
import {
  backoffMs,
  CRASH_BACKOFF,
  CRASH_LOOP_COUNT,
  FIRST_START_BACKOFF,
  STABLE_AFTER_MS,
} from './backoff.js';
import { Child, type ChildExit, exitStatus } from './child.js';
import { DirWatcher } from './dir-watch.js';
import { ReloaderError } from './errors.js';
import { formatMs, shortRevision } from './format.js';
import { Ledger, type Release } from './ledger.js';
import { isSymlink, LinkWatcher, readLinkTarget } from './link-watch.js';
import { type Logger, silentLogger } from './logger.js';
import { ReloaderMetrics } from './metrics.js';
import { parseBind, type ReloaderOptions } from './options.js';
import { freePort } from './port.js';
import { HandoffProxy } from './proxy.js';
import { exitedError, waitReady } from './ready.js';
import { Upstream } from './upstream.js';
import { waitForPath } from './wait-path.js';

/** How many output lines a release keeps for its failure report. */
const OUTPUT_LINES = 50;
/** How many releases GET /status lists. */
const STATUS_RELEASES = 20;

export interface OutputEvent {
  revision: string | null;
  stream: 'stdout' | 'stderr';
  line: string;
}

export interface CrashEvent {
  revision: string | null;
  code: number | null;
  signal: string | null;
  restartInMs: number;
}

export interface ReloaderEvents {
  /** A release reached an outcome: live, failed, superseded or retired. */
  release: [Release];
  /** Traffic (or, without --port, the running process) moved to this release. */
  switch: [Release];
  output: [OutputEvent];
  crash: [CrashEvent];
}

export interface ReloaderStatus {
  /** revision: watching a link; directory: watching a directory; command: nothing watched. */
  mode: 'revision' | 'directory' | 'command';
  /** The release serving now (or last started, while it restarts after a crash). */
  current: Release | null;
  pid: number | null;
  /** How long the current process has been running. */
  uptimeMs: number;
  /** Newest first. */
  releases: Release[];
}

export interface Reloader {
  /** Waits for the watched path (up to waitTimeout), then runs the first release; resolves once it is live or has failed (a retry is then scheduled). */
  start(): Promise<void>;
  /** Stops watching, stops every child's whole process group (stop signal, then SIGKILL after stopTimeout), closes the ports. */
  stop(): Promise<void>;
  status(): ReloaderStatus;
  /** After stop(): the exit status of the live child (its code, or 128 + signal), 0 when none ran. */
  readonly exitCode: number;
  readonly registry: Registry;
  /** Serves GET /status and GET /metrics; returns false for any other path so a host server can route it. */
  handleHttp(req: IncomingMessage, res: ServerResponse): boolean;
  on<E extends keyof ReloaderEvents>(event: E, listener: (...args: ReloaderEvents[E]) => void): this;
  off<E extends keyof ReloaderEvents>(event: E, listener: (...args: ReloaderEvents[E]) => void): this;
}

/** A process of a release, with the port it serves on (handoff mode). */
interface Running {
  release: Release;
  child: Child;
  /** Private port (handoff mode), served through `upstream` once ready. */
  port: number | null;
  upstream: Upstream | null;
  startedAt: number;
  output: string[];
  crashes: number;
  retiring: boolean;
}

interface Attempt {
  target: Target;
  controller: AbortController;
  switched: boolean;
}

interface Target {
  revision: string | null;
  dir: string;
  /** Why this target runs when it is not simply the newest (a rollback). */
  note?: string;
}

export function createReloader(options: ReloaderOptions & { logger?: Logger }): Reloader {
  return new ReloaderImpl(options);
}

class ReloaderImpl extends EventEmitter implements Reloader {
  private readonly logger: Logger;
  private readonly metrics = new ReloaderMetrics();
  private readonly ledger: Ledger;
  private readonly proxy: HandoffProxy | null;
  private statusServer: Server | null = null;
  private mode: ReloaderStatus['mode'] = 'command';
  private linkWatcher: LinkWatcher | null = null;
  private dirWatcher: DirWatcher | null = null;
  private live: Running | null = null;
  private readonly retiring = new Set<Running>();
  private latest: Target | null = null;
  private pending: Target | null = null;
  private attempt: Attempt | null = null;
  private loop: Promise<void> | null = null;
  private firstStartFailures = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Crash restarts in progress, so stop() waits for the process one may be starting. */
  private readonly restarts = new Set<Promise<void>>();
  private readonly lifetime = new AbortController();
  private stopped = false;
  private stopping: Promise<void> = Promise.resolve();
  private exitStatus = 0;

  constructor(private readonly options: ReloaderOptions & { logger?: Logger }) {
    super();
    if (!options.command.length) {
      throw new ReloaderError('E_NO_COMMAND', 'no command to run: pass the command and its arguments');
    }
    this.logger = options.logger ?? silentLogger;
    this.ledger = new Ledger(options.stateDir, this.logger);
    this.proxy =
      options.port !== undefined
        ? new HandoffProxy({
            onResponse: (status) => this.metrics.proxiedByClass(status).inc(),
            onError: (reason, detail) => {
              this.metrics.proxyErrors.inc({ reason });
              this.logger.debug('proxy answered 502', { reason, detail });
            },
          })
        : null;
  }

  get registry(): Registry {
    return this.metrics.registry;
  }

  get exitCode(): number {
    return this.exitStatus;
  }

  async start(): Promise<void> {
    const { port, host = '0.0.0.0', httpBind, watch } = this.options;
    if (this.proxy && port !== undefined) await this.proxy.listen(port, host);
    try {
      if (httpBind) await this.listenStatus(httpBind);
      await this.ledger.load();
      const first = await this.firstTarget(watch);
      if (!first) return;
      this.latest = first;
      this.pending = first;
      await this.kick();
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
    this.lifetime.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.linkWatcher?.stop();
    await this.dirWatcher?.stop();
    this.attempt?.controller.abort();
    await this.loop;
    await Promise.all(this.restarts);
    const proxyClosed = this.proxy?.close();
    const { stopSignal = 'SIGTERM', stopTimeout = 10_000 } = this.options;
    const live = this.live;
    const all = [...this.retiring, ...(live ? [live] : [])];
    await Promise.all(all.map((running) => running.child.stop(stopSignal, stopTimeout)));
    for (const running of all) running.upstream?.close();
    if (live) {
      this.exitStatus = exitStatus(live.child.exit);
      if (live.release.outcome === 'live') this.end(live.release, 'retired', 'the reloader stopped');
    }
    this.proxy?.closeAll();
    await proxyClosed;
    if (this.statusServer) {
      const server = this.statusServer;
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    }
    await this.ledger.flush();
  }

  status(): ReloaderStatus {
    const live = this.live;
    return {
      mode: this.mode,
      current: live?.release ?? null,
      pid: live && !live.child.exit ? (live.child.pid ?? null) : null,
      uptimeMs: live && !live.child.exit ? Date.now() - live.startedAt : 0,
      releases: this.ledger.releases.slice(0, STATUS_RELEASES),
    };
  }

  handleHttp(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/status' && path !== '/metrics') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('use GET\n');
      return true;
    }
    if (path === '/status') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(`${JSON.stringify(this.status(), null, 2)}\n`);
      return true;
    }
    this.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
    );
    return true;
  }

  private async listenStatus(bind: string): Promise<void> {
    const { host, port } = parseBind(bind);
    const server = createServer((req, res) => {
      if (!this.handleHttp(req, res)) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
    await new Promise<void>((done, fail) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        fail(
          error.code === 'EADDRINUSE'
            ? new ReloaderError(
                'E_PORT_IN_USE',
                `--http-bind ${bind}: the port is already in use; choose another`,
                {
                  cause: error,
                },
              )
            : error,
        ),
      );
      server.listen(port, host, () => done());
    });
    this.statusServer = server;
  }

  /** Waits for the watched path and starts watching it; returns the first target to run. */
  private async firstTarget(watch: string | undefined): Promise<Target | null> {
    if (!watch) return { revision: null, dir: resolve(this.options.cwd ?? process.cwd()) };
    const path = resolve(this.options.cwd ?? process.cwd(), watch);
    try {
      await waitForPath(path, this.options.waitTimeout ?? 300_000, this.lifetime.signal);
    } catch (error) {
      if (this.stopped) return null;
      throw error;
    }
    if (await isSymlink(path)) {
      this.mode = 'revision';
      const target = await readLinkTarget(path);
      if (!target) throw new ReloaderError('E_WATCH_MISSING', `--watch ${path}: the link points nowhere`);
      this.linkWatcher = new LinkWatcher(
        path,
        target.dir,
        this.options.poll ?? 0,
        (next) => this.onTarget(next),
        this.logger,
      );
      this.linkWatcher.start();
      return target;
    }
    this.mode = 'directory';
    this.dirWatcher = new DirWatcher(
      path,
      this.options.ignore ?? ['.git', 'node_modules'],
      this.options.debounce ?? 200,
      this.options.maxWait ?? 2000,
      (files) => {
        this.logger.info('files changed', { files });
        this.onTarget({ revision: null, dir: path });
      },
    );
    await this.dirWatcher.start();
    return { revision: null, dir: path };
  }

  /** A new revision (or a directory change) was detected. */
  private onTarget(target: Target): void {
    if (this.stopped) return;
    this.logger.info(target.revision ? `new revision ${shortRevision(target.revision)}` : 'change detected', {
      revision: target.revision,
      dir: target.dir,
    });
    this.latest = target;
    this.pending = target;
    // In revision mode an attempt that has not switched yet is pointless once a newer revision is
    // published: abort it so a quick double flip ends in one replacement, to the newest.
    const attempt = this.attempt;
    if (attempt && !attempt.switched && target.revision !== null && attempt.target.dir !== target.dir) {
      attempt.controller.abort();
    }
    void this.kick();
  }

  /** Runs pending releases one after another; changes arriving meanwhile are kept in `pending`. */
  private kick(): Promise<void> {
    this.loop ??= (async () => {
      try {
        while (this.pending && !this.stopped) {
          const target = this.pending;
          this.pending = null;
          await this.deploy(target);
        }
      } finally {
        this.loop = null;
      }
    })();
    return this.loop;
  }

  private async deploy(target: Target): Promise<void> {
    const release = this.ledger.create(target.revision, target.dir);
    if (target.note) release.reason = target.note;
    const controller = new AbortController();
    const attempt: Attempt = { target, controller, switched: false };
    this.attempt = attempt;
    const output: string[] = [];
    const signal = controller.signal;
    let child: Child | null = null;
    this.logger.info(`starting release ${release.id}`, { revision: target.revision, dir: target.dir });
    try {
      if (this.options.build) await this.build(release, output, signal);
      if (this.proxy) {
        signal.throwIfAborted();
        const running = this.spawn(release, output, await freePort());
        child = running.child;
        await this.launch(running, signal);
        attempt.switched = true;
        this.switchTo(running);
      } else {
        const old = this.live;
        if (old) {
          this.live = null;
          await this.retire(old);
        }
        signal.throwIfAborted();
        const running = this.spawn(release, output, null);
        child = running.child;
        if (!(await running.child.spawned)) throw exitedError(await running.child.exited);
        attempt.switched = true;
        this.switchTo(running);
      }
    } catch (error) {
      await child?.stop(this.options.stopSignal ?? 'SIGTERM', this.options.stopTimeout ?? 10_000);
      const superseded = signal.aborted;
      const reason = this.stopped
        ? 'the reloader stopped before it was ready'
        : superseded
          ? 'a newer revision arrived before it was ready'
          : messageOf(error);
      release.lastOutput = output.slice(-OUTPUT_LINES);
      this.end(release, superseded ? 'superseded' : 'failed', reason);
      if (!superseded) {
        this.logger.error(
          `release ${release.id} failed; ${this.live ? 'the previous release keeps serving' : 'nothing to keep serving'}`,
          {
            revision: release.revision,
            reason,
          },
        );
        if (!this.live && !this.stopped) this.retryFirstStart();
      }
    } finally {
      if (this.attempt === attempt) this.attempt = null;
    }
  }

  /** Runs --build in the release directory; throws E_BUILD on failure. */
  private async build(release: Release, output: string[], signal: AbortSignal): Promise<void> {
    const started = Date.now();
    const build = new Child({
      command: [this.options.build!],
      shell: true,
      cwd: release.dir,
      env: this.childEnv(release, null),
      onLine: (stream, line) => this.output(release, output, stream, line),
    });
    const aborted = new Promise<'aborted'>((done) => {
      if (signal.aborted) done('aborted');
      signal.addEventListener('abort', () => done('aborted'), { once: true });
    });
    const exit = await Promise.race([build.exited, aborted]);
    if (exit === 'aborted') {
      await build.stop(this.options.stopSignal ?? 'SIGTERM', this.options.stopTimeout ?? 10_000);
      signal.throwIfAborted();
      return;
    }
    release.times.buildMs = Date.now() - started;
    // Whatever the build left running in the background (it should leave nothing) is stopped too.
    await build.stop(this.options.stopSignal ?? 'SIGTERM', this.options.stopTimeout ?? 10_000);
    if (exit.error) throw new ReloaderError('E_BUILD', `--build could not start: ${exit.error}`);
    if (exit.code !== 0) {
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      throw new ReloaderError('E_BUILD', `--build ${how}; see its last output lines`);
    }
  }

  /** Starts the app on a fresh private port and waits until it is ready (handoff mode). */
  private async launch(running: Running, signal: AbortSignal): Promise<void> {
    const { port, release } = running;
    if (port === null) throw new Error('launch needs a private port');
    try {
      await waitReady({
        port,
        timeoutMs: this.options.readyTimeout ?? 30_000,
        exited: running.child.exited,
        signal,
        ...(this.options.readyPath ? { path: this.options.readyPath } : {}),
      });
    } catch (error) {
      await running.child.stop(this.options.stopSignal ?? 'SIGTERM', this.options.stopTimeout ?? 10_000);
      throw error;
    }
    const readyMs = Date.now() - running.startedAt;
    release.times.readyMs ??= readyMs;
    this.metrics.timeToReady.observe(readyMs / 1000);
    running.upstream = new Upstream(port);
  }

  /** Starts the command for a release; `port` is its private port in handoff mode. */
  private spawn(release: Release, output: string[], port: number | null): Running {
    const command = this.options.command;
    const child = new Child({
      command,
      shell: command.length === 1 && /\s/.test(command[0]!),
      cwd: release.dir,
      env: this.childEnv(release, port),
      onLine: (stream, line) => this.output(release, output, stream, line),
    });
    return {
      release,
      child,
      port,
      upstream: null,
      startedAt: Date.now(),
      output,
      crashes: 0,
      retiring: false,
    };
  }

  /** Makes `running` the live process: traffic moves to it, the previous one drains and stops. */
  private switchTo(running: Running): void {
    const old = this.live;
    this.live = running;
    if (running.upstream) this.proxy?.setActive(running.upstream);
    const { release } = running;
    // A restart after a crash reuses the release: it switched once already.
    const first = release.times.switchedAt === undefined;
    if (first) {
      release.times.switchedAt = new Date().toISOString();
      this.firstStartFailures = 0;
      this.end(release, 'live');
      this.emit('switch', release);
    }
    this.logger.info(first ? `release ${release.id} is live` : `release ${release.id} is running again`, {
      revision: release.revision,
      pid: running.child.pid,
    });
    void running.child.exited.then((exit) => this.onExit(running, exit));
    if (old && old !== running) void this.retire(old);
  }

  /** Drains (handoff mode) and stops a process that is no longer live. */
  private async retire(running: Running): Promise<void> {
    running.retiring = true;
    this.retiring.add(running);
    const { drainTimeout = 30_000, stopSignal = 'SIGTERM', stopTimeout = 10_000 } = this.options;
    if (running.upstream && !running.child.exit) {
      this.logger.debug('draining the old process', {
        revision: running.release.revision,
        inflight: running.upstream.inflight,
        upgraded: running.upstream.upgraded.size,
      });
      const timedOut = await Promise.race([
        running.upstream.drain().then(() => false),
        sleep(drainTimeout, true, { signal: this.lifetime.signal }).catch(() => true),
        running.child.exited.then(() => false),
      ]);
      if (timedOut)
        this.logger.info('drain timeout reached; stopping the old process', {
          revision: running.release.revision,
        });
    }
    await running.child.stop(stopSignal, stopTimeout);
    running.upstream?.close();
    this.retiring.delete(running);
    if (running.release !== this.live?.release && running.release.outcome === 'live') {
      this.end(running.release, 'retired');
    }
  }

  /** The live process exited on its own: restart it with capped exponential backoff. */
  private async onExit(running: Running, exit: ChildExit): Promise<void> {
    if (this.stopped || running.retiring || this.live !== running) return;
    const stable = Date.now() - running.startedAt >= STABLE_AFTER_MS;
    running.crashes = stable ? 1 : running.crashes + 1;
    const delay = backoffMs(running.crashes, CRASH_BACKOFF.baseMs, CRASH_BACKOFF.capMs);
    const looping = running.crashes >= CRASH_LOOP_COUNT;
    // Requests wait for the restart rather than fail, for as long as it may take to come back
    // (the backoff, then --ready-timeout); a crash-looping app is not waited for.
    if (looping) this.proxy?.setActive(null);
    else this.proxy?.holdForRestart(Date.now() + delay + (this.options.readyTimeout ?? 30_000));
    // Grandchildren of a crashed app would hold its port or keep working: clean the group first.
    await running.child.stop('SIGKILL', 0);
    if (this.stopped || this.live !== running) return;
    const { release } = running;
    this.metrics.restarts.inc();
    this.emit('crash', {
      revision: release.revision,
      code: exit.code,
      signal: exit.signal,
      restartInMs: delay,
    });
    this.logger.warn(`the app ${describeExit(exit)}; restarting in ${formatMs(delay)}`, {
      revision: release.revision,
    });
    if (looping && release.outcome === 'live') {
      release.lastOutput = running.output.slice(-OUTPUT_LINES);
      this.end(release, 'failed', `crash-looping: ${describeExit(exit)} ${running.crashes} times in a row`);
      this.rollBack(release);
    }
    this.later(delay, () => {
      const restarting = this.restart(running).finally(() => this.restarts.delete(restarting));
      this.restarts.add(restarting);
    });
  }

  private async restart(crashed: Running): Promise<void> {
    if (this.stopped || this.live !== crashed) return;
    const { release, output } = crashed;
    const next = this.spawn(release, output, this.proxy ? await freePort() : null);
    next.crashes = crashed.crashes;
    if (this.proxy) {
      try {
        await this.launch(next, this.lifetime.signal);
      } catch (error) {
        if (this.stopped || this.live !== crashed) return;
        // Counts as one more crash of the same release, timed from this attempt.
        crashed.startedAt = next.startedAt;
        const exit = next.child.exit;
        return this.onExit(
          crashed,
          error instanceof ReloaderError && error.code === 'E_EXITED' && exit
            ? exit
            : { code: null, signal: null, error: messageOf(error) },
        );
      }
    }
    if (this.stopped || this.live !== crashed) {
      await next.child.stop(this.options.stopSignal ?? 'SIGTERM', this.options.stopTimeout ?? 10_000);
      return;
    }
    crashed.upstream?.close();
    this.switchTo(next);
  }

  /**
   * The live revision crash-loops: run the last release that was good before it again, if its
   * directory is still there (git-sync's --stale-worktree-timeout keeps it). The link is not
   * touched, so the next published revision is tried normally.
   */
  private rollBack(broken: Release): void {
    if (broken.revision === null || this.pending || this.attempt) return;
    const previous = this.ledger.releases.find(
      (release) =>
        release.outcome === 'retired' &&
        release.revision !== null &&
        release.revision !== broken.revision &&
        existsSync(release.dir),
    );
    if (!previous) return;
    const note = `rollback: ${shortRevision(broken.revision)} was crash-looping`;
    this.logger.warn(`${note}; starting ${shortRevision(previous.revision)} again`, {
      revision: previous.revision,
    });
    this.pending = { revision: previous.revision, dir: previous.dir, note };
    void this.kick();
  }

  /** Nothing is serving and the release failed: try the newest target again after a backoff. */
  private retryFirstStart(): void {
    this.firstStartFailures++;
    const delay = backoffMs(this.firstStartFailures, FIRST_START_BACKOFF.baseMs, FIRST_START_BACKOFF.capMs);
    this.logger.warn(`nothing is running; retrying in ${formatMs(delay)}`);
    this.later(delay, () => {
      if (this.live || this.pending || !this.latest) return;
      this.pending = this.latest;
      void this.kick();
    });
  }

  private later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private end(release: Release, outcome: Release['outcome'], reason?: string): void {
    release.outcome = outcome;
    if (reason) release.reason = reason;
    if (outcome !== 'live') release.times.endedAt = new Date().toISOString();
    this.metrics.releases.inc({ outcome });
    this.ledger.record(release);
    this.emit('release', release);
  }

  private output(release: Release, output: string[], stream: 'stdout' | 'stderr', line: string): void {
    output.push(line);
    if (output.length > OUTPUT_LINES * 2) output.splice(0, output.length - OUTPUT_LINES);
    this.emit('output', { revision: release.revision, stream, line });
  }

  private childEnv(release: Release, port: number | null): NodeJS.ProcessEnv {
    return {
      ...(this.options.env ?? process.env),
      ...(port !== null ? { PORT: String(port) } : {}),
      ...(release.revision ? { GITPAAS_REVISION: release.revision } : {}),
      GITPAAS_RELEASE_DIR: release.dir,
    };
  }
}

function describeExit(exit: ChildExit): string {
  if (exit.error) return `could not start (${exit.error})`;
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
