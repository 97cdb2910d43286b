import { ValidationError } from '@panoptes/common';
import { compareKeys, normalizeListPrefix, validateObjectKey } from './object-key';

describe('object keys', () => {
  it.each([
    ['a simple key', 'a'],
    ['a nested key', 'tenant/01ABC/chunks/000001'],
    ['a dotfile', '.hidden'],
    ['a segment starting with ..', '..foo/bar'],
    ['unicode', 'ключ/日本'],
    ['exactly 1024 bytes', 'k'.repeat(1024)],
  ])('accepts %s', (_case, key) => {
    expect(validateObjectKey(key)).toBe(key);
  });

  it.each([
    ['the root', '', ''],
    ['a lone slash', '/', ''],
    ['a name', 'tenant', 'tenant/'],
    ['a name with a slash', 'tenant/', 'tenant/'],
    ['a nested name', 'a/b', 'a/b/'],
  ])('normalises the list prefix of %s', (_case, prefix, expected) => {
    expect(normalizeListPrefix(prefix)).toBe(expected);
  });

  it.each([['a/..'], ['/a'], ['a//'], ['a//b/']])('rejects the list prefix %s', (prefix) => {
    expect(() => normalizeListPrefix(prefix)).toThrow(ValidationError);
  });

  it('orders keys by UTF-8 bytes', () => {
    const keys = ['\u{1F600}', 'b', 'a/b', '\uFFFD', 'a.b', 'a', 'é'];
    const utf8Order = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...keys].sort(compareKeys)).toEqual(utf8Order);
    expect(utf8Order).toEqual(['a', 'a.b', 'a/b', 'b', 'é', '\uFFFD', '\u{1F600}']);
  });
});
