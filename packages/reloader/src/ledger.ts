import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@gitpaas/core';

export type ReleaseOutcome = 'starting' | 'live' | 'failed' | 'superseded' | 'retired';

/** One attempt to run a revision: what happened to it and when. */
export interface Release {
  id: number;
  /** The commit hash (basename of the link target); null in directory mode. */
  revision: string | null;
  dir: string;
  /** starting → live → retired, or failed; superseded when a newer revision arrived before it went live. */
  outcome: ReleaseOutcome;
  reason?: string;
  /** The last output lines (build and app), kept for failed releases. */
  lastOutput?: string[];
  /** How it was built and started (given or detected), once that is known. */
  setup?: ReleaseSetup;
  /** `startedAt`: when the app's process was spawned; `readyMs` counts from there. */
  times: {
    detected: string;
    /** Install + build, from the first to the last step. */
    buildMs?: number;
    /** The dependency install, or putting the cached tree in place. */
    installMs?: number;
    startedAt?: string;
    readyMs?: number;
    switchedAt?: string;
    endedAt?: string;
  };
}

/** How a release was built and started: what was detected or given, and what the cache did. */
export interface ReleaseSetup {
  /** One line: "node (package-lock.json): install `npm ci …`, start `npm start` (package.json scripts.start)". */
  plan: string;
  command: string;
  install?: string;
  /** hit: the installed dependencies of an unchanged key were reused; miss: installed and kept; off: not cached. */
  cache?: 'hit' | 'miss' | 'off';
  cacheKey?: string;
}

const KEPT_IN_MEMORY = 100;
const LOADED_FROM_DISK = 50;
/** releases.jsonl keeps the final lines of this many releases, rewritten once it has twice as many lines. */
export const KEPT_ON_DISK = 200;

/** The release ledger: newest first in memory, and one JSON line per transition in `releases.jsonl`. */
export class Ledger {
  readonly releases: Release[] = [];
  private nextId = 1;
  private writes: Promise<void> = Promise.resolve();
  private readonly file: string | null;
  /** Lines in the file, so it is rotated before it grows without bound. */
  private lines = 0;

  constructor(
    stateDir: string | undefined,
    private readonly logger: Logger,
    private readonly keep = KEPT_ON_DISK,
  ) {
    this.file = stateDir ? join(stateDir, 'releases.jsonl') : null;
  }

  /** Loads the latest releases of previous runs, so ids keep counting and status shows history. */
  async load(): Promise<void> {
    if (!this.file) return;
    await mkdir(join(this.file, '..'), { recursive: true });
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return;
    }
    const byId = finalStates(text);
    this.lines = text.split('\n').filter((line) => line.trim()).length;
    const ids = [...byId.keys()].sort((a, b) => b - a);
    this.nextId = (ids[0] ?? 0) + 1;
    for (const id of ids.slice(0, LOADED_FROM_DISK)) {
      const release = byId.get(id)!;
      // A release that was live or starting when the previous run ended is over now.
      if (release.outcome === 'live' || release.outcome === 'starting') release.outcome = 'retired';
      this.releases.push(release);
    }
  }

  create(revision: string | null, dir: string): Release {
    const release: Release = {
      id: this.nextId++,
      revision,
      dir,
      outcome: 'starting',
      times: { detected: new Date().toISOString() },
    };
    this.releases.unshift(release);
    if (this.releases.length > KEPT_IN_MEMORY) this.releases.length = KEPT_IN_MEMORY;
    return release;
  }

  /** Appends the release's current state; write errors are logged, never fatal. */
  record(release: Release): void {
    const file = this.file;
    if (!file) return;
    const line = `${JSON.stringify(release)}\n`;
    this.writes = this.writes.then(async () => {
      try {
        await appendFile(file, line);
        if (++this.lines > this.keep * 2) await this.rotate(file);
      } catch (error) {
        this.logger.warn('cannot write the release ledger', { file, error: String(error) });
      }
    });
  }

  /** Rewrites the file with the final line of each of the newest releases, atomically (temp file + rename). */
  private async rotate(file: string): Promise<void> {
    const byId = finalStates(await readFile(file, 'utf8'));
    const kept = [...byId.keys()].sort((a, b) => a - b).slice(-this.keep);
    const text = kept.map((id) => `${JSON.stringify(byId.get(id))}\n`).join('');
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, text);
    await rename(temp, file);
    this.lines = kept.length;
  }

  flush(): Promise<void> {
    return this.writes;
  }
}

/** The last line of each release id: its final state. A torn line (a crash mid-write) is skipped. */
function finalStates(text: string): Map<number, Release> {
  const byId = new Map<number, Release>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const release = JSON.parse(line) as Release;
      if (typeof release.id === 'number') byId.set(release.id, release);
    } catch {
      // The rest of the ledger is still good.
    }
  }
  return byId;
}
