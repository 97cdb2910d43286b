import { ValidationError } from '@panoptes/common';

/**
 * Object keys are `/`-separated paths, the same on every backend so data moves between the
 * filesystem and S3 unchanged. A key is valid on every backend or on none:
 *   - not empty, at most 1024 bytes of UTF-8 (the S3 limit);
 *   - no leading or trailing `/`, no empty segment (`a//b`), no `.` or `..` segment, no NUL;
 *   - no segment starting with `.panoptes-tmp-` (reserved for the filesystem's in-flight writes).
 */
export const MAX_OBJECT_KEY_BYTES = 1024;
export const DIR_DELIMITER = '/';
/** Name prefix of the filesystem backend's temporary files; no key segment may start with it. */
export const TEMP_FILE_PREFIX = '.panoptes-tmp-';

export function validateObjectKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new ValidationError('invalid_object_key', 'object key is empty; name the object with a non-empty key');
  }
  const problem = keyProblem(key, false);
  if (problem) {
    throw new ValidationError('invalid_object_key', `object key "${printable(key)}" is invalid: ${problem}`);
  }
  return key;
}

/**
 * Normalises a list prefix: a prefix names a directory, as in Thanos `Iter`, so `tenant` and
 * `tenant/` list the same objects. Returns '' (the root) or a prefix that ends with `/`.
 */
export function normalizeListPrefix(prefix: string): string {
  if (prefix === '' || prefix === DIR_DELIMITER) return '';
  const dir = prefix.endsWith(DIR_DELIMITER) ? prefix.slice(0, -1) : prefix;
  const problem = keyProblem(dir, true);
  if (problem) {
    throw new ValidationError('invalid_object_key', `list prefix "${printable(prefix)}" is invalid: ${problem}`);
  }
  return dir + DIR_DELIMITER;
}

function keyProblem(key: string, isPrefix: boolean): string | undefined {
  if (Buffer.byteLength(key, 'utf8') > MAX_OBJECT_KEY_BYTES) {
    return `longer than ${MAX_OBJECT_KEY_BYTES} bytes`;
  }
  if (key.includes('\0')) return 'contains a NUL character';
  if (key.startsWith(DIR_DELIMITER)) return 'starts with "/"; keys are relative to the bucket';
  if (key.endsWith(DIR_DELIMITER)) return isPrefix ? 'ends with "//"' : 'ends with "/"; a key names an object, not a directory';
  for (const segment of key.split(DIR_DELIMITER)) {
    if (segment === '') return 'contains an empty path segment ("//")';
    if (segment === '.' || segment === '..') return `contains a "${segment}" path segment`;
    if (segment.startsWith(TEMP_FILE_PREFIX)) return `a path segment starts with the reserved "${TEMP_FILE_PREFIX}"`;
  }
  return undefined;
}

function printable(key: string): string {
  return key.length > 200 ? `${key.slice(0, 200)}…` : key;
}

/**
 * Orders keys by their UTF-8 bytes, the order S3 lists in. (JavaScript's default string order
 * compares UTF-16 code units and differs for characters above U+FFFF.)
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Surrogates (U+D800–U+DFFF) encode code points above U+FFFF: they sort after every BMP char.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}
