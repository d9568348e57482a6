/** Capped exponential backoff: base, 2×base, 4×base … for attempts 1, 2, 3 …, never more than cap. */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  const exponent = Math.min(Math.max(0, attempt - 1), 30);
  return Math.min(capMs, baseMs * 2 ** exponent);
}
