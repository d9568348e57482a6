import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function jsonLines(debug = false) {
  const lines: string[] = [];
  const logger = createLogger({ format: 'json', name: 'git-sync', debug, write: (line) => lines.push(line) });
  return { logger, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>), lines };
}

describe('JSON lines', () => {
  it("writes pino's shape: level number, time in ms, pid, name, component, the fields, msg", () => {
    const { logger, records, lines } = jsonLines();
    const before = Date.now();
    logger.child('sync').info('updated successfully', { hash: 'abc', durationMs: 12 });
    expect(lines[0]?.endsWith('}\n')).toBe(true);
    const [record] = records();
    expect(Object.keys(record ?? {})).toEqual([
      'level',
      'time',
      'pid',
      'name',
      'component',
      'hash',
      'durationMs',
      'msg',
    ]);
    expect(record).toMatchObject({
      level: 30,
      pid: process.pid,
      name: 'git-sync',
      component: 'sync',
      msg: 'updated successfully',
    });
    expect(record?.time).toBeGreaterThanOrEqual(before);
  });

  it('writes debug lines only when asked, and numbers every level as pino does', () => {
    for (const debug of [false, true]) {
      const { logger, records } = jsonLines(debug);
      logger.debug('d');
      logger.info('i');
      logger.warn('w');
      logger.error('e');
      expect(records().map((r) => r.level)).toEqual(debug ? [20, 30, 40, 50] : [30, 40, 50]);
    }
  });

  it('writes an error as its message and a bigint as digits; a circular field costs the fields, not the line', () => {
    const { logger, records } = jsonLines();
    logger.error('sync failed', { error: new Error('exit 128'), size: 10n });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    logger.warn('odd', { circular });
    expect(records()[0]).toMatchObject({ error: 'exit 128', size: '10', msg: 'sync failed' });
    expect(records()[1]).toMatchObject({
      level: 40,
      msg: 'odd',
      logError: expect.stringMatching(/^fields not written/),
    });
  });
});
