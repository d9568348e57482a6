import type { Context } from './context.js';
import type { Release } from './ledger.js';

/** How many output lines a release keeps for its failure report. */
const OUTPUT_LINES = 50;

/** The last output lines of a release's processes (build and app), for its failure report. */
export class OutputTail {
  private kept: string[] = [];

  push(line: string): void {
    this.kept.push(line);
    if (this.kept.length > OUTPUT_LINES * 2) this.kept.splice(0, this.kept.length - OUTPUT_LINES);
  }

  lines(): string[] {
    return this.kept.slice(-OUTPUT_LINES);
  }
}

/** Where a release's processes write: kept in its tail and emitted as 'output' events. */
export function outputOf(ctx: Context, release: Release, tail: OutputTail) {
  return (stream: 'stdout' | 'stderr', line: string): void => {
    tail.push(line);
    ctx.emit('output', { release: release.id, revision: release.revision, stream, line });
  };
}
