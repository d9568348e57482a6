import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@gitpaas/core';

/** A release's log keeps its newest output up to this size; older lines are dropped half at a time. */
export const LOG_BYTES_PER_RELEASE = 1024 * 1024;
/** Logs of this many releases are kept (the newest ids); older ones are deleted. */
export const LOG_RELEASES_KEPT = 20;

/** A stored line as written: `<ISO time> <out|err> <text>\n`, already redacted. */
export interface LogLine {
  release: number;
  text: string;
}

interface OpenLog {
  fd: number;
  size: number;
}

/**
 * The per-release log store: `<state dir>/logs/<release id>.log`, the build's and the app's
 * output lines as the 'output' event carries them (redacted), bounded per release and in count.
 * Writes are synchronous and small, so what a reader finds in a file is exactly what was
 * emitted up to that moment, and a follower never misses or repeats a line.
 */
export class LogStore {
  readonly dir: string;
  private readonly open = new Map<number, OpenLog>();
  private readonly followers = new Set<(line: LogLine) => void>();
  private failed = false;

  constructor(
    stateDir: string,
    private readonly logger: Logger,
    private readonly limits = { bytes: LOG_BYTES_PER_RELEASE, releases: LOG_RELEASES_KEPT },
  ) {
    this.dir = join(stateDir, 'logs');
  }

  /** Appends one line of a release's output and tells the followers. */
  append(release: number, stream: 'stdout' | 'stderr', line: string): void {
    const text = `${new Date().toISOString()} ${stream === 'stderr' ? 'err' : 'out'} ${line}\n`;
    if (!this.failed) {
      try {
        this.write(release, text);
      } catch (error) {
        // A full disk must not stop the app: the log is lost, the output still goes on.
        this.failed = true;
        this.logger.warn('cannot write the release log; logs are off until a restart', {
          dir: this.dir,
          error: String(error),
        });
      }
    }
    for (const follower of this.followers) follower({ release, text });
  }

  /** Closes a release's file (it ended); a later line opens it again. */
  close(release: number): void {
    const log = this.open.get(release);
    if (!log) return;
    this.open.delete(release);
    closeSync(log.fd);
  }

  closeAll(): void {
    for (const release of [...this.open.keys()]) this.close(release);
  }

  /** A release's log as stored (at most a release's bound); null when there is none. */
  read(release: number): string | null {
    try {
      return readFileSync(this.path(release), 'utf8');
    } catch {
      return null;
    }
  }

  /** The releases that have a log, newest first. */
  releases(): number[] {
    try {
      return readdirSync(this.dir)
        .map((name) => /^(\d+)\.log$/.exec(name)?.[1])
        .filter((id): id is string => id !== undefined)
        .map(Number)
        .sort((a, b) => b - a);
    } catch {
      return [];
    }
  }

  /** Calls `listener` with every line appended from now on; returns how to stop. */
  follow(listener: (line: LogLine) => void): () => void {
    this.followers.add(listener);
    return () => this.followers.delete(listener);
  }

  private path(release: number): string {
    return join(this.dir, `${release}.log`);
  }

  private write(release: number, text: string): void {
    let log = this.open.get(release);
    if (!log) {
      mkdirSync(this.dir, { recursive: true });
      const fd = openSync(this.path(release), 'a');
      log = { fd, size: fstatSync(fd).size };
      this.open.set(release, log);
      this.prune(release);
    }
    const bytes = Buffer.from(text);
    if (log.size + bytes.length > this.limits.bytes) log = this.trim(release, log);
    writeSync(log.fd, bytes);
    log.size += bytes.length;
  }

  /** Keeps the newer half of a full log (whole lines), marked as cut, written whole (temp + rename). */
  private trim(release: number, log: OpenLog): OpenLog {
    closeSync(log.fd);
    const path = this.path(release);
    const content = readFileSync(path);
    const newline = content.indexOf(0x0a, content.length - Math.floor(this.limits.bytes / 2));
    const from = newline < 0 ? content.length : newline + 1;
    const mark = `${new Date().toISOString()} --- older lines dropped: a release keeps its last ${this.limits.bytes} bytes\n`;
    writeFileSync(`${path}.tmp`, Buffer.concat([Buffer.from(mark), content.subarray(from)]));
    renameSync(`${path}.tmp`, path);
    const fd = openSync(path, 'a');
    const trimmed = { fd, size: fstatSync(fd).size };
    this.open.set(release, trimmed);
    return trimmed;
  }

  /** Deletes the logs of releases older than the newest `releases` ones. */
  private prune(current: number): void {
    for (const id of this.releases().slice(this.limits.releases)) {
      if (id === current) continue;
      this.close(id);
      rmSync(this.path(id), { force: true });
    }
  }
}
