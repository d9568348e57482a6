import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { createLogger, debugRequested, formatFields } from './logger.js';

describe('the pretty logger', () => {
  it('writes one line per call with the component and key=value fields, hashes short', () => {
    const lines: string[] = [];
    const logger = createLogger({
      format: 'pretty',
      stream: { write: (text) => lines.push(text), colors: pc.createColors(false), interactive: false },
    });
    logger.child('sync').info('updated', { hash: 'a'.repeat(40), durationMs: 12, note: 'two words' });
    logger.debug('hidden without -v or DEBUG');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d sync {2}updated hash=aaaaaaa durationMs=12 note="two words"\n$/,
    );
  });

  it('shows errors by their message and leaves out undefined fields', () => {
    expect(formatFields({ error: new Error('boom'), gone: undefined })).toBe('error="boom"');
  });

  it('turns debug lines on with DEBUG=gitpaas:* or DEBUG=*', () => {
    expect(debugRequested({ DEBUG: 'gitpaas:*' })).toBe(true);
    expect(debugRequested({ DEBUG: 'express,*' })).toBe(true);
    expect(debugRequested({ DEBUG: 'express' })).toBe(false);
    expect(debugRequested({})).toBe(false);
  });
});
