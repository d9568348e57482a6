import { relative, sep } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import picomatch from 'picomatch';

/**
 * Directory-mode detection: a recursive watch with ignore globs, a trailing debounce and a
 * max wait, so a burst of writes (a `git pull`, an editor's save) causes one replacement.
 */
export class DirWatcher {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private firstAt = 0;
  private changed = 0;

  constructor(
    private readonly dir: string,
    private readonly ignore: string[],
    private readonly debounceMs: number,
    private readonly maxWaitMs: number,
    private readonly onChange: (files: number) => void,
  ) {}

  /** Resolves once the initial scan is done, so changes from then on are seen. */
  start(): Promise<void> {
    const ignored = ignoreMatcher(this.dir, this.ignore);
    this.watcher = watch(this.dir, {
      ignoreInitial: true,
      ignored: (path) => ignored(path),
      persistent: true,
    });
    this.watcher.on('all', () => this.bump());
    return new Promise((resolve) => this.watcher?.once('ready', () => resolve()));
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.watcher?.close();
  }

  private bump(): void {
    const now = Date.now();
    if (this.changed === 0) this.firstAt = now;
    this.changed++;
    if (this.timer) clearTimeout(this.timer);
    const due = Math.min(now + this.debounceMs, this.firstAt + this.maxWaitMs);
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - now));
  }

  private fire(): void {
    this.timer = null;
    const files = this.changed;
    this.changed = 0;
    this.onChange(files);
  }
}

/** A name without a slash (`node_modules`) matches any path segment; other globs match the relative path. */
export function ignoreMatcher(root: string, globs: string[]): (path: string) => boolean {
  const segmentGlobs = globs.filter((glob) => !glob.includes('/'));
  const pathGlobs = globs.filter((glob) => glob.includes('/'));
  const segment = segmentGlobs.length ? picomatch(segmentGlobs, { dot: true }) : () => false;
  const whole = pathGlobs.length ? picomatch(pathGlobs, { dot: true }) : () => false;
  return (path) => {
    const rel = relative(root, path);
    if (!rel || rel.startsWith('..')) return false;
    const posix = rel.split(sep).join('/');
    return whole(posix) || posix.split('/').some((part) => segment(part));
  };
}
