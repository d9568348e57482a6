import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

/** The dashboard: one static HTML file with its CSS and script inline, shipped in `assets/`. */
export interface DashboardPage {
  html: Buffer;
  gzip: Buffer;
  /** Allows exactly the page's own inline style and script, and requests to this server only. */
  contentSecurityPolicy: string;
}

let page: DashboardPage | null = null;

function digest(html: string, tag: 'script' | 'style'): string {
  const body = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(html)?.[1] ?? '';
  return `'sha256-${createHash('sha256').update(body).digest('base64')}'`;
}

/** Read once; `../assets` is the same place from `src/` (tests) and from the bundle in `dist/`. */
export function dashboardPage(): DashboardPage {
  if (page) return page;
  const html = readFileSync(new URL('../assets/dashboard.html', import.meta.url));
  const text = html.toString('utf8');
  page = {
    html,
    gzip: gzipSync(html, { level: 9 }),
    contentSecurityPolicy: [
      "default-src 'none'",
      `script-src ${digest(text, 'script')}`,
      `style-src ${digest(text, 'style')}`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  };
  return page;
}
