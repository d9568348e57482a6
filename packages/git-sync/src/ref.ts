import { HASH } from './layout.js';

/**
 * Why `ref` cannot be --ref, or null when it can: git's ref-format rules (`git check-ref-format
 * --allow-onelevel`) plus no leading '-' (git would read it as an option). Checked before any
 * network call, so a hostile ref never reaches git's argv.
 */
export function refProblem(ref: string): string | null {
  if (ref === 'HEAD' || HASH.test(ref.toLowerCase())) return null;
  if (!ref) return 'is empty';
  if (ref.startsWith('-')) return 'starts with "-"';
  if (/[\x00-\x20\x7f]/.test(ref)) return 'contains a space or a control character';
  const bad = /[~^:?*[\\]/.exec(ref);
  if (bad) return `contains ${JSON.stringify(bad[0])}`;
  if (ref.includes('..')) return 'contains ".."';
  if (ref.includes('@{')) return 'contains "@{"';
  if (ref === '@') return 'is "@"';
  if (ref.startsWith('/') || ref.endsWith('/') || ref.includes('//')) return 'has an empty path component';
  if (ref.endsWith('.')) return 'ends with "."';
  for (const part of ref.split('/')) {
    if (part.startsWith('.')) return 'has a path component starting with "."';
    if (part.endsWith('.lock')) return 'has a path component ending with ".lock"';
  }
  return null;
}
