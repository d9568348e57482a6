import { describe, expect, it } from 'vitest';
import {
  OPTIONS_END,
  OPTIONS_START,
  optionsMarkers,
  renderHelp,
  renderOptionsMarkdown,
  replaceOptionsBlock,
} from './render.js';
import { defineOptions } from './spec.js';

const table = defineOptions({
  envPrefixes: ['GITSYNC_'],
  options: [
    { name: 'period', type: 'duration', default: 10_000, help: 'how often to sync' },
    { name: 'password', type: 'string', secret: true, default: 'hunter2', help: 'the password' },
    { name: 'one-time', type: 'bool', default: false, help: 'sync once', group: 'Mode' },
  ],
});

describe('generated docs', () => {
  it('renders help with defaults, env names and groups, never a secret default', () => {
    const help = renderHelp(table, { usage: 'git-sync [flags]', examples: ['git-sync --repo x'] });
    expect(help).toContain('--period <duration>');
    expect(help).toContain('how often to sync (default 10s) [$GITSYNC_PERIOD]');
    expect(help).toContain('Mode:');
    expect(help).toContain('Examples:\n  git-sync --repo x');
    expect(help).not.toContain('hunter2');
  });

  it('replaces only the block between the markers', () => {
    const readme = `# pkg\n\n${OPTIONS_START}\nold\n${OPTIONS_END}\n\nafter\n`;
    const out = replaceOptionsBlock(readme, table);
    expect(out).toContain(renderOptionsMarkdown(table));
    expect(out).not.toContain('old');
    expect(out.endsWith(`${OPTIONS_END}\n\nafter\n`)).toBe(true);
    expect(replaceOptionsBlock(out, table)).toBe(out);
    expect(() => replaceOptionsBlock('# no markers', table)).toThrow(/options:start/);
  });

  it('tells named blocks apart, the unnamed one included', () => {
    const demo = optionsMarkers('demo');
    const readme = `${OPTIONS_START}\nold\n${OPTIONS_END}\n${demo.start}\nold demo\n${demo.end}\n`;
    const out = replaceOptionsBlock(readme, table, 'demo');
    expect(out).toContain(`${OPTIONS_START}\nold\n${OPTIONS_END}`);
    expect(out).not.toContain('old demo');
    expect(replaceOptionsBlock(out, table)).not.toContain('old\n');
    expect(() => replaceOptionsBlock(readme, table, 'init')).toThrow(/options:start init/);
  });
});
