import type { Context } from './context.js';
import type { Release } from './ledger.js';
import type { OutputEvent } from './types.js';

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

/** Where a release's processes write: redacted, then kept in its tail and emitted as 'output' events. */
export function outputOf(
  ctx: Context,
  release: Release,
  tail: OutputTail,
  phase: OutputEvent['phase'] = 'app',
) {
  const { redact } = ctx.options;
  return (stream: 'stdout' | 'stderr', printed: string): void => {
    const line = redact(printed);
    tail.push(line);
    ctx.emit('output', { release: release.id, revision: release.revision, stream, line, phase });
  };
}
