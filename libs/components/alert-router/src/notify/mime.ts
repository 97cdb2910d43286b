import { randomBytes } from 'node:crypto';

/**
 * The MIME pieces of Alertmanager's email, with the output of the Go functions it uses:
 * mime.QEncoding.Encode for header values, mime/quotedprintable for bodies, mime/multipart's
 * part framing, net/mail's address lists (the common forms), time.RFC1123Z for `Date`.
 */

/** Go's mime.QEncoding.Encode("utf-8", s): unchanged unless it has a byte outside printable ASCII (tab allowed). */
export function qEncodeHeader(s: string): string {
  if (!/[^\t\x20-\x7e]/.test(s)) return s;
  const prefix = '=?utf-8?q?';
  const maxContent = 75 - prefix.length - 2;
  const words: string[] = [];
  let current = '';
  for (const rune of s) {
    let enc = '';
    for (const b of Buffer.from(rune, 'utf8')) {
      const c = String.fromCharCode(b);
      if (c === ' ') enc += '_';
      else if (b >= 0x21 && b <= 0x7e && c !== '=' && c !== '?' && c !== '_') enc += c;
      else enc += `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    if (current.length + enc.length > maxContent) {
      words.push(current);
      current = '';
    }
    current += enc;
  }
  words.push(current);
  return words.map((w) => `${prefix}${w}?=`).join(' ');
}

const LINE_MAX = 76;
const HEX = '0123456789ABCDEF';

/** Go's quotedprintable.Writer (text mode): lines of at most 76 bytes with `=` soft breaks, CRLF line ends, trailing blanks encoded. */
export function quotedPrintable(text: string): string {
  const out: string[] = [];
  let line: number[] = [];
  let cr = false;
  const flush = (): void => {
    out.push(Buffer.from(line).toString('latin1'));
    line = [];
  };
  const insertCRLF = (): void => {
    line.push(0x0d, 0x0a);
    flush();
  };
  const softBreak = (): void => {
    line.push(0x3d);
    insertCRLF();
  };
  const encode = (b: number): void => {
    if (LINE_MAX - 1 - line.length < 3) softBreak();
    line.push(0x3d, HEX.charCodeAt(b >> 4), HEX.charCodeAt(b & 0x0f));
  };
  const checkLastByte = (): void => {
    const last = line[line.length - 1];
    if (last === 0x20 || last === 0x09) {
      line.pop();
      encode(last);
    }
  };
  const write = (b: number): void => {
    if (b === 0x0a || b === 0x0d) {
      if (cr && b === 0x0a) {
        cr = false;
        return;
      }
      if (b === 0x0d) cr = true;
      checkLastByte();
      insertCRLF();
      return;
    }
    if (line.length === LINE_MAX - 1) softBreak();
    line.push(b);
    cr = false;
  };
  for (const b of Buffer.from(text, 'utf8')) {
    const plain = (b >= 0x21 && b <= 0x7e && b !== 0x3d) || b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
    if (plain) write(b);
    else encode(b);
  }
  checkLastByte();
  flush();
  return out.join('');
}

/** mime/multipart's random boundary: 30 random bytes in hex. */
export function randomBoundary(): string {
  return randomBytes(30).toString('hex');
}

export interface MimePart {
  contentType: string;
  body: string;
}

/** A multipart body as mime/multipart writes it: parts with sorted headers, quoted-printable bodies, the closing delimiter. */
export function multipartBody(boundary: string, parts: readonly MimePart[]): string {
  let out = '';
  parts.forEach((p, i) => {
    out += `${i > 0 ? '\r\n' : ''}--${boundary}\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: ${p.contentType}\r\n\r\n${quotedPrintable(p.body)}`;
  });
  return `${out}\r\n--${boundary}--\r\n`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** time.RFC1123Z in UTC: `Mon, 02 Jan 2006 15:04:05 +0000`. */
export function rfc1123z(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** Splits at commas outside quotes, angle brackets, parentheses and square brackets. */
function splitList(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') current += s[i++];
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<' || c === '(' || c === '[') depth++;
    else if (c === '>' || c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      out.push(current);
      current = '';
      continue;
    }
    current += c ?? '';
  }
  out.push(current);
  return out;
}

const ADDR_SPEC = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+$/;

/**
 * The addresses of an address list (`Name <a@b>, c@d`) as net/mail.ParseAddressList finds them,
 * for the forms used in practice; throws `mail: …` errors for what it cannot read.
 */
export function parseAddressList(list: string): string[] {
  if (list.trim() === '') throw new Error('mail: no address');
  return splitList(list).map((entry) => {
    const e = entry.replace(/\([^)]*\)/g, '').trim();
    if (e === '') throw new Error('mail: no address');
    const angle = /<([^<>]*)>\s*$/.exec(e);
    const addr = angle ? angle[1].trim() : e;
    if (!ADDR_SPEC.test(addr)) throw new Error(angle || !e.includes(' ') ? `mail: missing '@' or invalid address in ${JSON.stringify(addr)}` : "mail: missing '@' or angle-addr");
    return addr;
  });
}
