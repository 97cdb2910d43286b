/**
 * The lexer of Go's text/template: text between actions, and the tokens inside `{{ … }}`, with
 * trim markers (`{{- ` and ` -}}`), comments (`{{/* … *\/}}`) and Go's error texts. Positions are
 * UTF-16 offsets into the source; lines count from 1.
 */

export type TokenType =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'identifier'
  | 'keyword'
  | 'field'
  | 'variable'
  | 'dot'
  | 'string'
  | 'rawString'
  | 'char'
  | 'number'
  | 'bool'
  | 'nil'
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'declare'
  | 'assign'
  | 'comma'
  | 'eof';

export interface Token {
  type: TokenType;
  value: string;
  pos: number;
  line: number;
}

export const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'template', 'with']);

/** A syntax error: `line` is where it was found; the message is Go's text without its location. */
export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string): boolean => /^[\p{L}\p{Nd}_]$/u.test(c);

/** Go's `%#U`: `U+0023 '#'`. */
function quoteRune(c: string): string {
  const cp = c.codePointAt(0)!;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(c) ? `U+${hex} '${c}'` : `U+${hex}`;
}

export function lex(src: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  const emit = (type: TokenType, start: number, value: string): void => {
    tokens.push({ type, value, pos: start, line });
    for (let i = 0; i < value.length; i++) if (value[i] === '\n') line++;
  };
  const fail = (msg: string): never => {
    throw new TemplateSyntaxError(msg, line);
  };
  let trimNext = false;
  while (pos < src.length) {
    let open = src.indexOf('{{', pos);
    if (open < 0) open = src.length;
    const trimLeft = open < src.length && src[open + 2] === '-' && isSpace(src[open + 3] ?? '');
    let text = src.slice(pos, open);
    let textStart = pos;
    if (trimNext) {
      const trimmed = text.replace(/^[ \t\r\n]+/, '');
      for (const c of text.slice(0, text.length - trimmed.length)) if (c === '\n') line++;
      textStart += text.length - trimmed.length;
      text = trimmed;
      trimNext = false;
    }
    let dropped = '';
    if (trimLeft) {
      const trimmed = text.replace(/[ \t\r\n]+$/, '');
      dropped = text.slice(trimmed.length);
      text = trimmed;
    }
    if (text.length > 0) emit('text', textStart, text);
    for (const c of dropped) if (c === '\n') line++;
    if (open >= src.length) break;
    pos = open + 2 + (trimLeft ? 2 : 0);
    // A comment fills the whole action.
    if (src.startsWith('/*', pos)) {
      const end = src.indexOf('*/', pos + 2);
      if (end < 0) fail('unclosed comment');
      const comment = src.slice(pos, end + 2);
      for (const c of comment) if (c === '\n') line++;
      pos = end + 2;
      const trimRight = src[pos] !== undefined && isSpace(src[pos]) && src[pos + 1] === '-' && src.startsWith('}}', pos + 2);
      if (trimRight) pos += 2;
      if (!src.startsWith('}}', pos)) fail('comment ends before closing delimiter');
      pos += 2;
      trimNext = trimRight;
      continue;
    }
    emit('leftDelim', open, '{{');
    pos = lexAction(src, pos);
  }
  emit('eof', src.length, '');
  return tokens;

  /** Lexes the inside of one action; returns the position after its `}}`. */
  function lexAction(s: string, p: number): number {
    let parens = 0;
    for (;;) {
      if (p >= s.length) fail('unclosed action');
      const c = s[p];
      // ` -}}` closes with trimming; a space must precede the `-`.
      if (isSpace(c) && s[p + 1] === '-' && s.startsWith('}}', p + 2)) {
        if (parens > 0) fail('unclosed left paren');
        emit('rightDelim', p + 2, '}}');
        trimNext = true;
        return p + 4;
      }
      if (s.startsWith('}}', p)) {
        if (parens > 0) fail('unclosed left paren');
        emit('rightDelim', p, '}}');
        return p + 2;
      }
      if (isSpace(c)) {
        const start = p;
        while (p < s.length && isSpace(s[p]) && !(s[p + 1] === '-' && s.startsWith('}}', p + 2))) p++;
        if (p === start) p++;
        emit('space', start, s.slice(start, p));
        continue;
      }
      if (c === '=') {
        emit('assign', p, '=');
        p++;
        continue;
      }
      if (c === ':') {
        if (s[p + 1] !== '=') fail('expected :=');
        emit('declare', p, ':=');
        p += 2;
        continue;
      }
      if (c === '|') {
        emit('pipe', p, '|');
        p++;
        continue;
      }
      if (c === ',') {
        emit('comma', p, ',');
        p++;
        continue;
      }
      if (c === '(') {
        parens++;
        emit('leftParen', p, '(');
        p++;
        continue;
      }
      if (c === ')') {
        parens--;
        if (parens < 0) fail('unexpected right paren');
        emit('rightParen', p, ')');
        p++;
        continue;
      }
      if (c === '"') {
        let q = p + 1;
        for (;;) {
          if (q >= s.length || s[q] === '\n') fail('unterminated quoted string');
          if (s[q] === '\\') q += 2;
          else if (s[q] === '"') break;
          else q++;
        }
        emit('string', p, s.slice(p, q + 1));
        p = q + 1;
        continue;
      }
      if (c === '`') {
        const end = s.indexOf('`', p + 1);
        if (end < 0) fail('unterminated raw quoted string');
        emit('rawString', p, s.slice(p, end + 1));
        p = end + 1;
        continue;
      }
      if (c === "'") {
        let q = p + 1;
        for (;;) {
          if (q >= s.length || s[q] === '\n') fail('unterminated character constant');
          if (s[q] === '\\') q += 2;
          else if (s[q] === "'") break;
          else q++;
        }
        emit('char', p, s.slice(p, q + 1));
        p = q + 1;
        continue;
      }
      if (c === '$' || (c === '.' && !/[0-9]/.test(s[p + 1] ?? ''))) {
        let q = p + 1;
        while (q < s.length && isAlnum(s[q])) q++;
        const word = s.slice(p, q);
        checkTerminator(s, q);
        emit(c === '$' ? 'variable' : word === '.' ? 'dot' : 'field', p, word);
        p = q;
        continue;
      }
      if (/[0-9+\-.]/.test(c)) {
        const m = /^[+-]?(0[xX][0-9a-fA-F_]*\.?[0-9a-fA-F_]*([pP][+-]?[0-9_]+)?|0[oO][0-7_]+|0[bB][01_]+|[0-9_]*\.?[0-9_]*([eE][+-]?[0-9_]+)?)i?/.exec(s.slice(p))!;
        let q = p + m[0].length;
        if (m[0] === '' || m[0] === '+' || m[0] === '-' || isAlnum(s[q] ?? '')) {
          while (q < s.length && (isAlnum(s[q]) || s[q] === '.')) q++;
          fail(`bad number syntax: "${s.slice(p, Math.max(q, p + 1))}"`);
        }
        emit('number', p, s.slice(p, q));
        p = q;
        continue;
      }
      if (isAlnum(c)) {
        let q = p;
        while (q < s.length && isAlnum(s[q])) q++;
        const word = s.slice(p, q);
        checkTerminator(s, q);
        if (KEYWORDS.has(word)) emit('keyword', p, word);
        else if (word === 'true' || word === 'false') emit('bool', p, word);
        else if (word === 'nil') emit('nil', p, word);
        else emit('identifier', p, word);
        p = q;
        continue;
      }
      fail(`unrecognized character in action: ${quoteRune(String.fromCodePoint(s.codePointAt(p)!))}`);
    }
  }

  function checkTerminator(s: string, q: number): void {
    const c = s[q];
    if (c === undefined || isSpace(c) || '.,|:)('.includes(c) || s.startsWith('}}', q)) return;
    fail(`bad character ${quoteRune(String.fromCodePoint(s.codePointAt(q)!))}`);
  }
}

/** Go's `strconv.Unquote` for a "…", `…` or '…' token; undefined when the syntax is invalid. */
export function unquote(token: string): string | undefined {
  if (token.startsWith('`')) return token.slice(1, -1).replace(/\r/g, '');
  const quote = token[0];
  const body = token.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      if (c === quote) return undefined;
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
    if (e in simple) out += simple[e];
    else if (e === quote) out += quote;
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) return undefined;
      const cp = parseInt(hex, 16);
      if (e === 'x') out += cp < 0x80 ? String.fromCharCode(cp) : String.fromCharCode(0xdc00 + cp);
      else if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return undefined;
      else out += String.fromCodePoint(cp);
      i += n;
    } else if (/[0-7]/.test(e ?? '')) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) return undefined;
      const v = parseInt(oct, 8);
      if (v > 255) return undefined;
      out += v < 0x80 ? String.fromCharCode(v) : String.fromCharCode(0xdc00 + v);
      i += 2;
    } else return undefined;
  }
  if (quote === "'" && [...out].length !== 1) return undefined;
  return out;
}
