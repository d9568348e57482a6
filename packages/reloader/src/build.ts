import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { whenAborted } from '@gitpaas/core';
import { describeExit } from './child.js';
import type { Context } from './context.js';
import { DependencyCache } from './dep-cache.js';
import { type AppPlan, describePlan, type InstallStep, planRelease } from './detect.js';
import { ReloaderError } from './errors.js';
import { messageOf } from './format.js';
import { startChild } from './launch.js';
import type { Release } from './ledger.js';
import type { OutputTail } from './output.js';

/** How long asking a runtime or corepack for its version may take (corepack may download the manager). */
const PROBE_TIMEOUT_MS = 120_000;

/**
 * Readies a release before it starts: works out the plan (given flags, else detected), installs
 * the dependencies — or reuses the installed tree of an unchanged key — and runs the build.
 * Runtime versions and package-manager availability are asked once per reloader.
 */
export class Builder {
  readonly cache: DependencyCache;
  private readonly probes = new Map<string, Promise<string | null>>();
  private pruning: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: Context) {
    const { stateDir, buildCache, logger } = ctx.options;
    this.cache = new DependencyCache(stateDir ? join(stateDir, 'cache') : null, buildCache, logger);
  }

  /** The plan for `release`, with its install and build done; throws E_DETECT or E_BUILD. */
  async prepare(
    release: Release,
    output: OutputTail,
    signal: AbortSignal,
    ownsDir: boolean,
  ): Promise<AppPlan> {
    const { ctx } = this;
    const { command, build, install, buildKey, installDirs, logger } = ctx.options;
    const plan = await planRelease(
      release.dir,
      {
        command,
        ...(build !== undefined ? { build } : {}),
        ...(install !== undefined ? { install } : {}),
        ...(buildKey !== undefined ? { buildKey } : {}),
        ...(installDirs !== undefined ? { installDirs } : {}),
      },
      ownsDir,
      ctx.proxy !== null,
    );
    // The install and build get the package managers' caches; the app only the stack's env.
    const env = { ...this.cache.managerEnv(ctx.options.env, plan.install?.manager), ...plan.env };
    release.setup = { plan: describePlan(plan), command: plan.command.join(' ') };
    logger.info(`release ${release.id}: ${release.setup.plan}`, { revision: release.revision });
    for (const warning of plan.warnings) logger.warn(`release ${release.id}: ${warning}`);
    const started = Date.now();
    try {
      if (plan.install) await this.install(plan.install, env, release, output, signal, ownsDir);
      if (plan.build) await this.run('build', plan.build, env, release, output, signal);
    } finally {
      release.times.buildMs = Date.now() - started;
    }
    return plan;
  }

  /**
   * Bounds the dependency cache, keeping the trees of every release starting, live or draining
   * (a draining release stays live until it stopped). Runs after each deploy and each retirement.
   */
  prune(): void {
    const keys = new Set<string>();
    for (const release of this.ctx.ledger.releases) {
      const key = release.setup?.cacheKey;
      if (key && (release.outcome === 'starting' || release.outcome === 'live')) keys.add(key);
    }
    this.pruning = this.pruning
      .then(() => this.cache.prune(keys))
      .catch((error: unknown) =>
        this.ctx.options.logger.warn('cannot prune the dependency cache', { error: messageOf(error) }),
      );
  }

  /** Resolves once pruning under way is done (stop()). */
  idle(): Promise<void> {
    return this.pruning;
  }

  private async install(
    given: InstallStep,
    env: Record<string, string>,
    release: Release,
    output: OutputTail,
    signal: AbortSignal,
    ownsDir: boolean,
  ): Promise<void> {
    const { logger } = this.ctx.options;
    let step = given;
    if (step.manager && step.fallback && !(await this.probe(['corepack', step.manager, '--version'], env))) {
      logger.warn(
        `release ${release.id}: ${step.manager} cannot be had through corepack; installing with \`${step.fallback}\` instead`,
      );
      step = { ...step, command: step.fallback, manager: undefined, fallback: undefined };
    }
    const setup = release.setup!;
    setup.install = step.command;
    const cacheable = ownsDir && this.cache.enabled && step.dirs.length > 0 && step.keyFiles.length > 0;
    if (!cacheable) {
      setup.cache = 'off';
      await this.run('install', step.command, env, release, output, signal);
      return;
    }
    const runtime = step.runtime ? ((await this.probe(step.runtime, env)) ?? 'unknown') : '';
    const key = await this.cache.key(step, release.dir, runtime);
    setup.cacheKey = key;
    const started = Date.now();
    if (await this.cache.restore(key, step, release.dir)) {
      setup.cache = 'hit';
      logger.info(
        `release ${release.id}: dependencies unchanged, reusing the installed ${step.dirs.join(', ')}`,
        {
          key,
        },
      );
    } else {
      setup.cache = 'miss';
      logger.info(`release ${release.id}: installing dependencies (${step.keyFiles.join(', ')} changed)`, {
        key,
      });
      await this.run('install', step.command, env, release, output, signal);
      await this.cache.save(key, step, release.dir);
    }
    release.times.installMs = Date.now() - started;
  }

  /** Runs one shell step in the release dir, its output labelled `build`; throws E_BUILD when it fails. */
  private async run(
    what: 'install' | 'build',
    command: string,
    env: Record<string, string>,
    release: Release,
    output: OutputTail,
    signal: AbortSignal,
  ): Promise<void> {
    const child = startChild(this.ctx, release, output, [command], true, null, env, 'build');
    const exit = await Promise.race([child.exited, whenAborted(signal).then(() => 'aborted' as const)]);
    // Whatever the step left running in the background (it should leave nothing) is stopped too.
    await child.stop();
    if (exit === 'aborted') {
      signal.throwIfAborted();
      return;
    }
    if (exit.error)
      throw new ReloaderError('E_BUILD', `${what} \`${command}\` could not start: ${exit.error}`);
    if (exit.code !== 0) {
      throw new ReloaderError('E_BUILD', `${what} ${describeExit(exit)}: ${lastLine(output)}`);
    }
  }

  /** The first output line of `argv`, asked once per reloader; null when it fails. */
  private probe(argv: string[], env: Record<string, string>): Promise<string | null> {
    const id = argv.join(' ');
    let answer = this.probes.get(id);
    if (!answer) {
      const run = promisify(execFile)(argv[0]!, argv.slice(1), {
        env: { ...this.ctx.options.env, COREPACK_ENABLE_DOWNLOAD_PROMPT: '0', ...env },
        timeout: PROBE_TIMEOUT_MS,
      });
      run.child.stdin?.end();
      answer = run.then(
        (result) => result.stdout.split('\n')[0]!.trim(),
        (error: unknown) => {
          this.ctx.options.logger.debug('probe failed', { command: id, error: messageOf(error) });
          return null;
        },
      );
      this.probes.set(id, answer);
    }
    return answer;
  }
}

/** The step's last meaningful output line (a compiler's error), for the release's reason. */
function lastLine(output: OutputTail): string {
  const lines = output.lines().filter((line) => line.trim());
  const error = [...lines].reverse().find((line) => /\berror\b/i.test(line));
  return (error ?? lines.at(-1) ?? 'no output').trim().slice(0, 300);
}
