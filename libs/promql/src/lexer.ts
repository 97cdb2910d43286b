import { goQuote, goQuoteTruncated } from './literals';

/**
 * The PromQL lexer, following Prometheus's `promql/parser/lex.go` state by state so that the
 * parser accepts the same language and reports the same lexer errors: keywords are
 * case-insensitive outside braces and plain identifiers inside them, `[` switches to a
 * duration-expression mode, numbers follow Go's syntax (hex, `_` separators, `.5`, `2.`).
 *
 * The token list ends with EOF, or with ERROR carrying the first lexer error; positions are
 * string offsets.
 */
export type TokenType =
  | 'EOF'
  | 'ERROR'
  | 'COMMENT'
  | 'IDENTIFIER'
  | 'METRIC_IDENTIFIER'
  | 'NUMBER'
  | 'DURATION'
  | 'STRING'
  | 'LEFT_PAREN'
  | 'RIGHT_PAREN'
  | 'LEFT_BRACE'
  | 'RIGHT_BRACE'
  | 'LEFT_BRACKET'
  | 'RIGHT_BRACKET'
  | 'COMMA'
  | 'COLON'
  | 'EQL'
  // operators
  | 'ADD'
  | 'SUB'
  | 'MUL'
  | 'DIV'
  | 'MOD'
  | 'POW'
  | 'EQLC'
  | 'NEQ'
  | 'LTE'
  | 'LSS'
  | 'GTE'
  | 'GTR'
  | 'TRIM_UPPER'
  | 'TRIM_LOWER'
  | 'EQL_REGEX'
  | 'NEQ_REGEX'
  | 'AT'
  | 'ATAN2'
  | 'LAND'
  | 'LOR'
  | 'LUNLESS'
  // aggregators
  | 'SUM'
  | 'AVG'
  | 'COUNT'
  | 'MIN'
  | 'MAX'
  | 'GROUP'
  | 'STDDEV'
  | 'STDVAR'
  | 'TOPK'
  | 'BOTTOMK'
  | 'COUNT_VALUES'
  | 'QUANTILE'
  | 'LIMITK'
  | 'LIMIT_RATIO'
  // keywords
  | 'OFFSET'
  | 'SMOOTHED'
  | 'ANCHORED'
  | 'BY'
  | 'WITHOUT'
  | 'ON'
  | 'IGNORING'
  | 'GROUP_LEFT'
  | 'GROUP_RIGHT'
  | 'FILL'
  | 'FILL_LEFT'
  | 'FILL_RIGHT'
  | 'BOOL'
  // preprocessors
  | 'START'
  | 'END'
  | 'STEP'
  | 'RANGE';

export interface Token {
  type: TokenType;
  /** The source text (for ERROR: the error message). */
  val: string;
  pos: number;
}

const KEYWORDS: Record<string, TokenType> = {
  and: 'LAND',
  or: 'LOR',
  unless: 'LUNLESS',
  atan2: 'ATAN2',
  sum: 'SUM',
  avg: 'AVG',
  count: 'COUNT',
  min: 'MIN',
  max: 'MAX',
  group: 'GROUP',
  stddev: 'STDDEV',
  stdvar: 'STDVAR',
  topk: 'TOPK',
  bottomk: 'BOTTOMK',
  count_values: 'COUNT_VALUES',
  quantile: 'QUANTILE',
  limitk: 'LIMITK',
  limit_ratio: 'LIMIT_RATIO',
  offset: 'OFFSET',
  smoothed: 'SMOOTHED',
  anchored: 'ANCHORED',
  by: 'BY',
  without: 'WITHOUT',
  on: 'ON',
  ignoring: 'IGNORING',
  group_left: 'GROUP_LEFT',
  group_right: 'GROUP_RIGHT',
  fill: 'FILL',
  fill_left: 'FILL_LEFT',
  fill_right: 'FILL_RIGHT',
  bool: 'BOOL',
  start: 'START',
  end: 'END',
  step: 'STEP',
  range: 'RANGE',
  inf: 'NUMBER',
  nan: 'NUMBER',
};

const OPERATORS = new Set<TokenType>([
  'ADD',
  'SUB',
  'MUL',
  'DIV',
  'MOD',
  'POW',
  'EQLC',
  'NEQ',
  'LTE',
  'LSS',
  'GTE',
  'GTR',
  'TRIM_UPPER',
  'TRIM_LOWER',
  'EQL_REGEX',
  'NEQ_REGEX',
  'AT',
  'ATAN2',
  'LAND',
  'LOR',
  'LUNLESS',
]);
export const AGGREGATORS = new Set<TokenType>([
  'SUM',
  'AVG',
  'COUNT',
  'MIN',
  'MAX',
  'GROUP',
  'STDDEV',
  'STDVAR',
  'TOPK',
  'BOTTOMK',
  'COUNT_VALUES',
  'QUANTILE',
  'LIMITK',
  'LIMIT_RATIO',
]);
const KEYWORD_TYPES = new Set<TokenType>([
  'OFFSET',
  'SMOOTHED',
  'ANCHORED',
  'BY',
  'WITHOUT',
  'ON',
  'IGNORING',
  'GROUP_LEFT',
  'GROUP_RIGHT',
  'FILL',
  'FILL_LEFT',
  'FILL_RIGHT',
  'BOOL',
]);
/** Token types that have a fixed spelling in Prometheus's ItemTypeStr (shown without a type name). */
const FIXED = new Set<TokenType>([
  'LEFT_PAREN',
  'RIGHT_PAREN',
  'LEFT_BRACE',
  'RIGHT_BRACE',
  'LEFT_BRACKET',
  'RIGHT_BRACKET',
  'COMMA',
  'COLON',
  'EQL',
  'START',
  'END',
  'STEP',
  'RANGE',
  ...OPERATORS,
  ...AGGREGATORS,
  ...KEYWORD_TYPES,
]);

/** A token as Prometheus names it in "unexpected …" messages (`Item.desc()`). */
export function describeToken(t: Token): string {
  if (t.type === 'EOF') return 'end of input';
  if (FIXED.has(t.type)) return tokenString(t);
  const kind: Partial<Record<TokenType, string>> = {
    IDENTIFIER: 'identifier',
    METRIC_IDENTIFIER: 'metric identifier',
    STRING: 'string',
    NUMBER: 'number',
    DURATION: 'duration',
    COMMENT: 'comment',
    ERROR: 'error',
  };
  return `${kind[t.type] ?? t.type} ${tokenString(t)}`;
}

function tokenString(t: Token): string {
  if (t.type === 'IDENTIFIER' || t.type === 'METRIC_IDENTIFIER') return goQuote(t.val);
  if (KEYWORD_TYPES.has(t.type)) return `<${t.val}>`;
  if (OPERATORS.has(t.type)) return `<op:${t.val}>`;
  if (AGGREGATORS.has(t.type)) return `<aggr:${t.val}>`;
  if (Array.from(t.val).length > 10) return `${goQuoteTruncated(t.val, 10)}...`;
  return goQuote(t.val);
}

/** One-character tokens that mean the same in statements and in duration expressions. */
const SIMPLE_OPERATORS: Readonly<Record<string, TokenType>> = {
  ',': 'COMMA',
  '*': 'MUL',
  '/': 'DIV',
  '%': 'MOD',
  '+': 'ADD',
  '-': 'SUB',
  '^': 'POW',
};

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isDigit = (c: string) => c >= '0' && c <= '9';
const isAlpha = (c: string) => c === '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlphaNumeric = (c: string) => isAlpha(c) || isDigit(c);
/** Go's `%q` of a rune, as the lexer's messages show characters. */
const quoteRune = (c: string) => (c === '' ? "'\uFFFD'" : c === "'" ? "'\\''" : goQuote(c, "'"));

class LexError extends Error {
  constructor(
    readonly pos: number,
    message: string,
  ) {
    super(message);
  }
}

/** Tokenizes a PromQL expression. Never throws: a lexer error becomes the final ERROR token. */
export function lex(input: string): Token[] {
  return new Lexer(input).run();
}

class Lexer {
  private pos = 0;
  private start = 0;
  private readonly tokens: Token[] = [];
  private parenDepth = 0;
  private braceOpen = false;
  private bracketOpen = false;
  private gotColon = false;
  private gotDuration = false;
  /** Prometheus's lexDurationExpr state: right after `[`, `:`, `(`, `)`, an operator or a keyword inside brackets. */
  private state: 'statements' | 'duration' = 'statements';
  /** Tokens before this index were emitted by earlier steps (see `error`). */
  private stepStart = 0;

  constructor(private readonly input: string) {}

  run(): Token[] {
    try {
      for (;;) {
        this.stepStart = this.tokens.length;
        if (this.braceOpen) this.insideBraces();
        else if (this.state === 'duration') this.durationExpr();
        else this.statement();
        const last = this.tokens[this.tokens.length - 1];
        if (last && last.type === 'EOF') return this.tokens;
      }
    } catch (err) {
      if (!(err instanceof LexError)) throw err;
      this.tokens.push({ type: 'ERROR', val: err.message, pos: err.pos });
      return this.tokens;
    }
  }

  private peek(): string {
    if (this.pos >= this.input.length) return '';
    return String.fromCodePoint(this.input.codePointAt(this.pos)!);
  }

  private next(): string {
    const c = this.peek();
    this.pos += c.length;
    return c;
  }

  private accept(valid: string): boolean {
    const c = this.peek();
    if (c !== '' && valid.includes(c)) {
      this.pos += c.length;
      return true;
    }
    return false;
  }

  private emit(type: TokenType): void {
    this.tokens.push({ type, val: this.input.slice(this.start, this.pos), pos: this.start });
    this.start = this.pos;
  }

  /**
   * Ends lexing with an error at the start of the current token. As in lex.go, where emit and
   * errorf write the same item slot, an error right after an emit in the same step replaces
   * the emitted token: `(1))` fails with "unexpected right parenthesis", not with `unexpected ")"`.
   */
  private error(message: string): never {
    this.tokens.length = this.stepStart;
    throw new LexError(this.start, message);
  }

  private skipSpaces(): void {
    while (isSpace(this.peek())) this.next();
    this.start = this.pos;
  }

  private comment(): void {
    while (this.pos < this.input.length && this.input[this.pos] !== '\n' && this.input[this.pos] !== '\r') this.pos++;
    this.emit('COMMENT');
  }

  private statement(): void {
    if (this.input.startsWith('#', this.pos)) return this.comment();
    const r = this.next();
    switch (true) {
      case r === '':
        if (this.parenDepth !== 0) this.error('unclosed left parenthesis');
        if (this.bracketOpen) this.error('unclosed left bracket');
        this.emit('EOF');
        return;
      case SIMPLE_OPERATORS[r] !== undefined:
        return this.emit(SIMPLE_OPERATORS[r]);
      case isSpace(r):
        return this.skipSpaces();
      case r === '=': {
        const t = this.peek();
        if (t === '=') {
          this.next();
          return this.emit('EQLC');
        }
        if (t === '~') this.error(`unexpected character after '=': ${quoteRune(t)}`);
        return this.emit('EQL');
      }
      case r === '!': {
        const t = this.next();
        if (t !== '=') this.error(`unexpected character after '!': ${quoteRune(t)}`);
        return this.emit('NEQ');
      }
      case r === '<':
        if (this.peek() === '=') {
          this.next();
          return this.emit('LTE');
        }
        if (this.peek() === '/') {
          this.next();
          return this.emit('TRIM_UPPER');
        }
        return this.emit('LSS');
      case r === '>':
        if (this.peek() === '=') {
          this.next();
          return this.emit('GTE');
        }
        if (this.peek() === '/') {
          this.next();
          return this.emit('TRIM_LOWER');
        }
        return this.emit('GTR');
      case isDigit(r) || (r === '.' && isDigit(this.peek())):
        this.pos -= 1;
        return this.numberOrDuration();
      case r === '"' || r === "'":
        return this.string(r);
      case r === '`':
        return this.rawString();
      case isAlpha(r) || r === ':':
        if (!this.bracketOpen) {
          this.pos -= 1;
          return this.keywordOrIdentifier();
        }
        if (r === ':') {
          if (this.gotColon) this.error(`unexpected colon ${quoteRune(r)}`);
          this.emit('COLON');
          this.gotColon = true;
          return;
        }
        if (this.durationKeyword()) return;
        this.error(`unexpected character: ${quoteRune(r)}, expected ':'`);
      // eslint-disable-next-line no-fallthrough
      case r === '(':
        this.emit('LEFT_PAREN');
        this.parenDepth++;
        return;
      case r === ')':
        this.emit('RIGHT_PAREN');
        this.parenDepth--;
        if (this.parenDepth < 0) this.error(`unexpected right parenthesis ${quoteRune(r)}`);
        return;
      case r === '{':
        this.emit('LEFT_BRACE');
        this.braceOpen = true;
        return;
      case r === '[':
        if (this.bracketOpen) this.error(`unexpected left bracket ${quoteRune(r)}`);
        this.gotColon = false;
        this.gotDuration = false;
        this.emit('LEFT_BRACKET');
        this.skipSpaces();
        this.bracketOpen = true;
        this.state = 'duration';
        return;
      case r === ']':
        if (!this.bracketOpen) this.error(`unexpected right bracket ${quoteRune(r)}`);
        this.emit('RIGHT_BRACKET');
        this.bracketOpen = false;
        return;
      case r === '@':
        return this.emit('AT');
      default:
        this.error(`unexpected character: ${quoteRune(r)}`);
    }
  }

  private insideBraces(): void {
    if (this.input.startsWith('#', this.pos)) return this.comment();
    const r = this.next();
    switch (true) {
      case r === '':
        this.error('unexpected end of input inside braces');
      // eslint-disable-next-line no-fallthrough
      case isSpace(r):
        return this.skipSpaces();
      case isAlpha(r):
        while (isAlphaNumeric(this.peek())) this.next();
        return this.emit('IDENTIFIER');
      case r === ',':
        return this.emit('COMMA');
      case r === '"' || r === "'":
        return this.string(r);
      case r === '`':
        return this.rawString();
      case r === '=':
        if (this.peek() === '~') {
          this.next();
          return this.emit('EQL_REGEX');
        }
        return this.emit('EQL');
      case r === '!': {
        const nr = this.next();
        if (nr === '~') return this.emit('NEQ_REGEX');
        if (nr === '=') return this.emit('NEQ');
        this.error(`unexpected character after '!' inside braces: ${quoteRune(nr)}`);
      }
      // eslint-disable-next-line no-fallthrough
      case r === '{':
        this.error(`unexpected left brace ${quoteRune(r)}`);
      // eslint-disable-next-line no-fallthrough
      case r === '}':
        this.emit('RIGHT_BRACE');
        this.braceOpen = false;
        return;
      default:
        this.error(`unexpected character inside braces: ${quoteRune(r)}`);
    }
  }

  /** Inside `[...]`: numbers, durations, arithmetic, parentheses, `:`, `,`, step(), range(), min_of(), max_of(). */
  private durationExpr(): void {
    const r = this.next();
    switch (true) {
      case r === '':
        this.error('unexpected end of input in duration expression');
      // eslint-disable-next-line no-fallthrough
      case r === ']':
        this.emit('RIGHT_BRACKET');
        this.bracketOpen = false;
        this.gotColon = false;
        this.state = 'statements';
        return;
      case r === ':':
        this.emit('COLON');
        if (!this.gotDuration) this.error('unexpected colon before duration in duration expression');
        if (this.gotColon) this.error('unexpected repeated colon in duration expression');
        this.gotColon = true;
        return;
      case r === '(':
        this.emit('LEFT_PAREN');
        this.parenDepth++;
        return;
      case r === ')':
        this.emit('RIGHT_PAREN');
        this.parenDepth--;
        if (this.parenDepth < 0) this.error(`unexpected right parenthesis ${quoteRune(r)}`);
        return;
      case isSpace(r):
        return this.skipSpaces();
      case SIMPLE_OPERATORS[r] !== undefined:
        return this.emit(SIMPLE_OPERATORS[r]);
      case isAlpha(r):
        if (this.durationKeyword()) return;
        this.error(`unexpected character in duration expression: ${quoteRune(r)}`);
      // eslint-disable-next-line no-fallthrough
      case isDigit(r) || (r === '.' && isDigit(this.peek())):
        this.pos -= 1;
        this.gotDuration = true;
        this.state = 'statements';
        return this.numberOrDuration();
      default:
        this.error(`unexpected character in duration expression: ${quoteRune(r)}`);
    }
  }

  /** step, range (any case) and min_of, max_of inside brackets; the first letter is consumed. */
  private durationKeyword(): boolean {
    const save = this.pos;
    while (isAlpha(this.peek())) this.next();
    const word = this.input.slice(this.start, this.pos).toLowerCase();
    if (word === 'step' || word === 'range') {
      this.emit(word === 'step' ? 'STEP' : 'RANGE');
      return true;
    }
    if (word === 'min_of' || word === 'max_of') {
      this.emit('IDENTIFIER');
      return true;
    }
    this.pos = save;
    return false;
  }

  private keywordOrIdentifier(): void {
    while (isAlphaNumeric(this.peek()) || this.peek() === ':') this.next();
    const word = this.input.slice(this.start, this.pos);
    const kw = KEYWORDS[word.toLowerCase()];
    if (kw !== undefined) {
      // fill/fill_left/fill_right are keywords only before '(' so existing metric names keep working.
      if ((kw === 'FILL' || kw === 'FILL_LEFT' || kw === 'FILL_RIGHT') && !this.followedByLeftParen()) return this.emit('IDENTIFIER');
      return this.emit(kw);
    }
    this.emit(word.includes(':') ? 'METRIC_IDENTIFIER' : 'IDENTIFIER');
  }

  private followedByLeftParen(): boolean {
    let p = this.pos;
    while (p < this.input.length && isSpace(this.input[p])) p++;
    return this.input[p] === '(';
  }

  private string(quote: string): void {
    for (;;) {
      const c = this.next();
      if (c === '\\') {
        this.escape(quote);
        continue;
      }
      if (c === '\uFFFD' || (c.length === 1 && c >= '\uD800' && c <= '\uDFFF')) this.error('invalid UTF-8 rune');
      if (c === '' || c === '\n') this.error('unterminated quoted string');
      if (c === quote) break;
    }
    this.emit('STRING');
  }

  private rawString(): void {
    for (;;) {
      const c = this.next();
      if (c === '\uFFFD' || (c.length === 1 && c >= '\uD800' && c <= '\uDFFF')) this.error('invalid UTF-8 rune');
      if (c === '') this.error('unterminated raw string');
      if (c === '`') break;
    }
    this.emit('STRING');
  }

  private escape(quote: string): void {
    let ch = this.next();
    let n: number;
    let base: number;
    let max: number;
    if ('abfnrtv\\'.includes(ch) && ch !== '') return;
    if (ch === quote) return;
    if (ch >= '0' && ch <= '7' && ch !== '') {
      [n, base, max] = [3, 8, 255];
    } else if (ch === 'x') {
      ch = this.next();
      [n, base, max] = [2, 16, 255];
    } else if (ch === 'u') {
      ch = this.next();
      [n, base, max] = [4, 16, 0x10ffff];
    } else if (ch === 'U') {
      ch = this.next();
      [n, base, max] = [8, 16, 0x10ffff];
    } else if (ch === '') {
      this.error('escape sequence not terminated');
    } else {
      this.error(`unknown escape sequence ${goUnicodeRune(ch)}`);
    }
    let x = 0;
    while (n > 0) {
      const d = ch === '' ? 16 : digitVal(ch);
      if (d >= base) {
        if (ch === '') this.error('escape sequence not terminated');
        this.error(`illegal character ${goUnicodeRune(ch)} in escape sequence`);
      }
      x = x * base + d;
      n--;
      if (n > 0) ch = this.next();
    }
    if (x > max || (x >= 0xd800 && x < 0xe000)) this.error('escape sequence is an invalid Unicode code point');
  }

  private numberOrDuration(): void {
    if (this.scanNumber()) return this.emit('NUMBER');
    if (this.acceptRemainingDuration()) {
      return this.emit('DURATION');
    }
    this.error(`bad number or duration syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
  }

  private acceptRemainingDuration(): boolean {
    if (!this.accept('smhdwy')) return false;
    this.accept('s'); // ms; bad units like "hs" are caught when the duration is parsed
    while (this.accept('0123456789')) {
      while (this.accept('0123456789'));
      if (!this.accept('smhdw')) return false;
      this.accept('s');
    }
    const c = this.peek();
    if (c !== '' && isAlphaNumeric(c)) {
      this.next();
      return false;
    }
    return true;
  }

  /** Go-syntax numbers: decimal, `0x` hex, `.5`, `2.`, exponents, `_` between digits (lex.go's scanNumber, quirks included). */
  private scanNumber(): boolean {
    const initial = this.pos;
    let digits = '0123456789';
    if (this.accept('0') && this.accept('xX')) {
      this.accept('_');
      digits = '0123456789abcdefABCDEF';
    }
    const is = (set: string) => {
      const c = this.peek();
      return c !== '' && set.includes(c);
    };
    this.accept('.');
    this.accept(digits);
    let dot = false;
    let exponent = false;
    while (is(digits + '._eE')) {
      if (is('.') && dot) {
        this.accept('.');
        return false;
      }
      if (is('eE') && exponent) {
        this.accept('eE');
        return false;
      }
      if (this.accept('.')) {
        dot = true;
        if (this.accept('_.')) return false;
        if (digits.length > 10) return false; // no fractional hex literals
        continue;
      }
      if (this.accept('eE')) {
        exponent = true;
        this.accept('+-');
        if (this.accept('._eE') || this.peek() === '') return false;
        continue;
      }
      if (this.accept('_')) {
        if (this.accept('._eE') || this.peek() === '') return false;
        continue;
      }
      while (this.accept(digits));
    }
    if (this.pos === initial) return false;
    const c = this.peek();
    return c === '' || !isAlphaNumeric(c);
  }
}

function digitVal(ch: string): number {
  if (ch >= '0' && ch <= '9') return ch.charCodeAt(0) - 48;
  if (ch >= 'a' && ch <= 'f') return ch.charCodeAt(0) - 97 + 10;
  if (ch >= 'A' && ch <= 'F') return ch.charCodeAt(0) - 65 + 10;
  return 16;
}

/** Go's `%#U`: `U+0027 '''`. */
function goUnicodeRune(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${ch}'`;
}
