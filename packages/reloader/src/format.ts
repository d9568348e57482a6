import { formatDuration } from '@gitpaas/core';

/** Milliseconds as a Go-style duration, rounded to whole milliseconds. */
export function formatMs(ms: number): string {
  return formatDuration(Math.round(ms));
}

/** The short form of a revision used as an output prefix. */
export function shortRevision(revision: string | null): string {
  return revision ? revision.slice(0, 7) : 'app';
}

/** An error's message (anything else as a string), for a release's reason. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
