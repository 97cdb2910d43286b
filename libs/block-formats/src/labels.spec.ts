import { ValidationError } from '@panoptes/common';
import { compareLabels, compareUtf8, Labels, validateLabels } from './labels';

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

describe('compareUtf8', () => {
  it.each([
    { name: 'ascii', a: 'abc', b: 'abd' },
    { name: 'prefix first', a: 'ab', b: 'abc' },
    { name: 'equal', a: 'é', b: 'é' },
    { name: 'BMP private use vs astral (UTF-16 order differs)', a: '\uE000', b: '😀' },
    { name: 'U+FFFF vs astral', a: '\uFFFF', b: '𐀀' },
    { name: 'accented vs plain', a: 'é', b: 'z' },
    { name: 'two astral characters', a: '😀', b: '😁' },
  ])('orders $name like UTF-8 bytes', ({ a, b }) => {
    expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(byBytes(a, b)));
    expect(Math.sign(compareUtf8(b, a))).toBe(Math.sign(byBytes(b, a)));
  });
});

describe('compareLabels', () => {
  it.each<{ name: string; a: Labels; b: Labels; want: number }>([
    { name: 'by first value', a: [['a', '1']], b: [['a', '2']], want: -1 },
    { name: 'name before value', a: [['a', '9']], b: [['b', '1']], want: -1 },
    { name: 'a prefix sorts first', a: [['a', '1']], b: [['a', '1'], ['b', '1']], want: -1 },
    { name: 'equal sets', a: [['a', '1'], ['b', '2']], b: [['a', '1'], ['b', '2']], want: 0 },
    { name: 'a later pair decides', a: [['a', '1'], ['c', '1']], b: [['a', '1'], ['b', '9']], want: 1 },
  ])('compares $name', ({ a, b, want }) => {
    expect(Math.sign(compareLabels(a, b))).toBe(want);
  });
});

describe('validateLabels', () => {
  it.each<{ name: string; labels: Labels; reason: string }>([
    { name: 'no labels', labels: [], reason: 'series_without_labels' },
    { name: 'unsorted names', labels: [['b', '1'], ['a', '1']], reason: 'labels_not_sorted' },
    { name: 'duplicate names', labels: [['a', '1'], ['a', '2']], reason: 'labels_not_sorted' },
    { name: 'empty value', labels: [['a', '']], reason: 'empty_label' },
    { name: 'empty name', labels: [['', 'x']], reason: 'empty_label' },
  ])('rejects $name', ({ labels, reason }) => {
    expect(() => validateLabels(labels)).toThrow(ValidationError);
    try {
      validateLabels(labels);
    } catch (err) {
      expect((err as ValidationError).reason).toBe(reason);
    }
  });

  it('accepts sorted unique labels with unicode values', () => {
    expect(() => validateLabels([['__name__', 'up'], ['job', 'ünïcødé 😀']])).not.toThrow();
  });
});
