import type { Labels } from '@panoptes/block-formats';
import { compileRegex } from '@panoptes/tsdb';
import { PromQLExecutionError } from '../../errors';
import { isValidLabelName } from '../../literals';
import { getLabel, setLabel } from '../labels';

/**
 * label_replace and label_join on sorted `[name, value]` label sets (Prometheus's evalLabelReplace
 * and evalLabelJoin). Both check their arguments before looking at any series, so calling them
 * with `[]` validates a call; both delete the destination label when the new value is empty.
 */

let lastRegexSource: string | undefined;
let lastRegex: RegExp | undefined;

/** The fully anchored regex of a label_replace call; the last one is kept, a call reuses it per series. */
function replaceRegex(source: string): RegExp {
  if (source === lastRegexSource && lastRegex) return lastRegex;
  let re: RegExp;
  try {
    re = compileRegex(source);
  } catch (err) {
    const detail = (err as Error).message;
    if (detail.startsWith('invalid regular expression')) {
      throw new PromQLExecutionError(`invalid regular expression in label_replace(): ${source}`, { cause: err });
    }
    throw new PromQLExecutionError(`label_replace(): ${detail}`, { cause: err });
  }
  lastRegexSource = source;
  lastRegex = re;
  return re;
}

/**
 * label_replace(v, dst, replacement, src, regex): when `regex` matches the whole value of `src`
 * ("" when absent), `dst` becomes `replacement` with `$1`, `${name}` expanded (Go's
 * Regexp.ExpandString rules); otherwise the labels are returned unchanged.
 */
export function labelReplace(labels: Labels, dst: string, replacement: string, src: string, regex: string): Labels {
  const re = replaceRegex(regex);
  if (!isValidLabelName(dst)) {
    throw new PromQLExecutionError(`invalid destination label name in label_replace(): ${dst}`);
  }
  const match = re.exec(getLabel(labels, src));
  if (match === null) return labels;
  return setLabel(labels, dst, expandTemplate(replacement, match));
}

/** label_join(v, dst, sep, src...): `dst` becomes the values of the `src` labels ("" when absent) joined by `sep`. */
export function labelJoin(labels: Labels, dst: string, sep: string, srcs: readonly string[]): Labels {
  for (const src of srcs) {
    if (!isValidLabelName(src)) throw new PromQLExecutionError(`invalid source label name in label_join(): ${src}`);
  }
  if (!isValidLabelName(dst)) throw new PromQLExecutionError(`invalid destination label name in label_join(): ${dst}`);
  let value = '';
  for (let i = 0; i < srcs.length; i++) {
    if (i > 0) value += sep;
    value += getLabel(labels, srcs[i]);
  }
  return setLabel(labels, dst, value);
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/**
 * Go's Regexp.ExpandString: `$$` is a `$`; `$name` takes the longest run of letters, digits and
 * `_` (so `$1x` means `${1x}`); `${name}` is explicit. An all-digit name without a leading zero is a
 * group number, anything else a group name; a missing or unmatched group expands to "". A `$` not
 * followed by a valid name stays literal.
 */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) break;
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    const brace = template[i] === '{';
    let j = brace ? i + 1 : i;
    const nameStart = j;
    while (j < template.length) {
      const cp = template.codePointAt(j)!;
      const ch = String.fromCodePoint(cp);
      if (!NAME_CHAR.test(ch)) break;
      j += ch.length;
    }
    const name = template.slice(nameStart, j);
    if (name === '' || (brace && template[j] !== '}')) {
      out += '$';
      continue;
    }
    i = brace ? j + 1 : j;
    out += groupValue(name, match);
  }
  return out + template.slice(i);
}

function groupValue(name: string, match: RegExpExecArray): string {
  let num = /^\d+$/.test(name) && name.length <= 9 ? Number(name) : -1;
  if (name.length > 1 && name[0] === '0') num = -1;
  if (num >= 0) return num < match.length ? (match[num] ?? '') : '';
  return match.groups?.[name] ?? '';
}
