import { ValidationError } from '@panoptes/common';

/** A label pair `[name, value]`. */
export type Label = readonly [name: string, value: string];

/** A series' labels: pairs sorted by name, names unique, no empty names or values. */
export type Labels = readonly Label[];

/**
 * Compares strings by the bytes of their UTF-8 encoding, the order Go (and so the TSDB format)
 * uses. JS `<` compares UTF-16 code units, which differs for characters above U+FFFF versus
 * U+E000..U+FFFF; this maps code units so the order is by code point, equal to UTF-8 byte order.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (0xD800..0xDFFF) stand for code points above 0xFFFF: order them after 0xE000..0xFFFF.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Prometheus' `labels.Compare`: pair by pair, name then value; a prefix sorts first. Equal
 * strings (the shared prefixes of neighbouring sorted series) are passed over without a call.
 */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x[0] !== y[0]) return compareUtf8(x[0], y[0]);
    if (x[1] !== y[1]) return compareUtf8(x[1], y[1]);
  }
  return a.length - b.length;
}

/** `{a="1", b="2"}`, for messages. */
export function labelsString(labels: Labels): string {
  return `{${labels.map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(', ')}}`;
}

/** Throws `ValidationError` unless `labels` is non-empty, sorted by name, unique, with no empty names or values. */
export function validateLabels(labels: Labels): void {
  if (labels.length === 0) {
    throw new ValidationError('series_without_labels', 'a series needs at least one label');
  }
  for (let i = 0; i < labels.length; i++) {
    const [name, value] = labels[i];
    if (name === '' || value === '') {
      throw new ValidationError(
        'empty_label',
        `series ${labelsString(labels)} has an empty label name or value; drop labels with empty values`,
      );
    }
    if (i > 0 && compareUtf8(labels[i - 1][0], name) >= 0) {
      throw new ValidationError(
        'labels_not_sorted',
        `series ${labelsString(labels)} has labels that are not sorted by name or repeat a name; sort them and remove duplicates`,
      );
    }
  }
}
