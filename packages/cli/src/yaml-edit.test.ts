import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { YamlEdit } from './yaml-edit.js';

const edit = (text: string) => new YamlEdit(parseDocument(text), 'deploy/x.yaml');

describe('editing a reference file', () => {
  it('keeps comments, quoting and layout, and quotes a value that would read back as another type', () => {
    const file = edit('# head\nport: "8080" # the port\ntag: 0.1.0\nlist: [{ name: a, value: 1 }]\n');
    file.set(['port'], '3000');
    file.set(['tag'], '1.0');
    file.set(['list', { name: 'a' }, 'value'], 2);
    expect(file.toString()).toBe(
      '# head\nport: "3000" # the port\ntag: "1.0"\nlist: [ { name: a, value: 2 } ]\n',
    );
  });

  it('names the file and the place when the reference no longer has what it edits', () => {
    expect(() => edit('a: 1\n').set(['spec', { name: 'app' }, 'image'], 'x')).toThrow(
      'deploy/x.yaml has no spec.[name=app].image: update init-files.ts to match deploy/',
    );
    expect(() => edit('image: nginx\n').replace(['image'], /:[^:]+$/, ':2')).toThrow(/has no image matching/);
  });

  it('replaces the leading comment, wherever yaml keeps it', () => {
    const file = edit('# old header\nkey: value\n');
    file.header('new header\nsecond line');
    expect(file.toString()).toBe('# new header\n# second line\n\nkey: value\n');
  });
});
