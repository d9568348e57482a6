import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gitEnv } from '@gitpaas/test-utils';
import { execa, type Options, type ResultPromise } from 'execa';

/** The built bin; tests that spawn it need `pnpm build` (turbo runs it before `test`). */
export const BIN = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

function ensureBuilt(): void {
  if (!existsSync(BIN))
    throw new Error(`${BIN} is missing: run "pnpm --filter @gitpaas/git-sync build" first`);
}

/** Env for the bin: test git isolation, no inherited GITSYNC_* settings. */
export function binEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^GIT_?SYNC_/.test(key)) env[key] = value;
  }
  return { ...env, ...gitEnv, ...extra };
}

export interface BinResult {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
}

/** Runs the bin to completion (never rejects); output is captured. */
export async function runBin(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeout?: number } = {},
): Promise<BinResult> {
  ensureBuilt();
  const result = await execa(process.execPath, [BIN, ...args], {
    reject: false,
    timeout: options.timeout ?? 60_000,
    cwd: options.cwd,
    env: binEnv(options.env),
    extendEnv: false,
  });
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
  };
}

export interface RunningBin {
  child: ResultPromise;
  /** Everything written so far to stdout and stderr. */
  output(): string;
  /** Parsed JSON log lines from stderr so far. */
  logs(): Array<Record<string, unknown>>;
  /** Sends SIGTERM (unless already gone) and waits for the exit. */
  stop(): Promise<void>;
}

/** Starts the bin in the background, collecting its output; `nodeArgs` go to node before the bin. */
export function spawnBin(
  args: string[],
  options: Options & { env?: Record<string, string>; nodeArgs?: string[] } = {},
): RunningBin {
  ensureBuilt();
  const { nodeArgs = [], ...execaOptions } = options;
  const child = execa(process.execPath, [...nodeArgs, BIN, ...args], {
    reject: false,
    ...execaOptions,
    env: binEnv(options.env),
    extendEnv: false,
    buffer: false,
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  return {
    child,
    output: () => out + err,
    logs: () =>
      err
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await child;
    },
  };
}
