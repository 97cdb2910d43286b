import { compareUtf8 } from '@panoptes/block-formats';

/**
 * Whether `a` sorts before `b` in natural order, as github.com/facette/natsort's `Compare` (the
 * version Prometheus pins) decides for sort_by_label: runs of ASCII digits compare as numbers
 * (leading zeros skipped, then the longer run is bigger, equal lengths compare as text), everything
 * else compares byte by byte (UTF-8 order), and a string that runs out first sorts first.
 * Equal strings are not less than each other.
 */
export function naturalLess(a: string, b: string): boolean {
  const lenA = a.length;
  const lenB = b.length;
  let posA = 0;
  let posB = 0;
  for (;;) {
    if (lenA <= posA) return lenB > posB;
    if (lenB <= posB) return false;
    let av = a.charCodeAt(posA);
    let bv = b.charCodeAt(posB);
    if (isDigit(av) && isDigit(bv)) {
      // The numeric run of each side; zeros at its start are skipped (the run may even end up
      // starting on the first non-digit after them, as in natsort).
      let runA = 1;
      for (;;) {
        if (posA + runA >= lenA) break;
        const x = a.charCodeAt(posA + runA);
        if (av === ZERO) {
          posA++;
          av = x;
          continue;
        }
        if (isDigit(x)) runA++;
        else break;
      }
      let runB = 1;
      for (;;) {
        if (posB + runB >= lenB) break;
        const x = b.charCodeAt(posB + runB);
        if (bv === ZERO) {
          posB++;
          bv = x;
          continue;
        }
        if (isDigit(x)) runB++;
        else break;
      }
      if (runB > runA) return true;
      if (runA > runB) return false;
      const c = compareUtf8(a.slice(posA, posA + runA), b.slice(posB, posB + runB));
      if (c !== 0) return c < 0;
      posA += runA;
      posB += runB;
      continue;
    }
    if (av === bv) {
      posA++;
      posB++;
      continue;
    }
    return compareUtf8(a.slice(posA, posA + 2), b.slice(posB, posB + 2)) < 0;
  }
}

const ZERO = 0x30;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
